/** The mob panel in JupyterLab's right sidebar, for the notebook in focus: the room's mode
 * (the owner switches it), who drives, the turn's countdown, who is next, and the buttons
 * that hand over, take the keyboard, answer a take request and join or leave the rotation.
 * It shows pairbook's `mob` map; every button is a pairbook command. */

import { Widget } from '@lumino/widgets'

import { button, h } from '../../../client/src/dom'
import type { NotebookBinding } from './binding'
import type { MobAction, MobView } from './mobView'
import type { PersonView } from './kernelState'

export class MobSidebar extends Widget {
  private binding: NotebookBinding | null = null
  private readonly body: HTMLElement
  private readonly timerText: HTMLElement
  private readonly timerFill: HTMLElement
  private ticker = 0

  constructor(private readonly notify: (message: string) => void) {
    super()
    this.id = 'pairbook-mob'
    this.addClass('pb-Sidebar')
    this.addClass('pb-MobSidebar')
    this.title.caption = 'pairbook: mob'
    this.timerText = h('span', { class: 'pb-Mob-timerText' })
    this.timerFill = h('span', { class: 'pb-Mob-timerFill' })
    this.body = h('div', { class: 'pb-Sidebar-body' })
    this.node.append(h('h2', { class: 'pb-Sidebar-title' }, 'Mob'), this.body)
    this.render()
  }

  /** Shows the mob of this notebook's room (null: the notebook in focus is not a room's). */
  bind(binding: NotebookBinding | null): void {
    if (binding === this.binding) return
    this.binding?.mobStateChanged.disconnect(this.render, this)
    this.binding = binding
    binding?.mobStateChanged.connect(this.render, this)
    this.render()
  }

  override dispose(): void {
    window.clearInterval(this.ticker)
    this.binding?.mobStateChanged.disconnect(this.render, this)
    super.dispose()
  }

  private render(): void {
    window.clearInterval(this.ticker)
    const binding = this.binding
    if (binding === null || binding.isDisposed) {
      this.node.dataset.mode = ''
      this.body.replaceChildren(h('p', { class: 'pb-Muted' }, 'Open a notebook of a pairbook room to see who drives.'))
      return
    }
    const view = binding.mob()
    this.node.dataset.mode = view.mode
    this.node.dataset.role = view.role ?? 'pair'
    const rows: Array<HTMLElement | null> = []
    if (view.modes.length > 0) rows.push(h('div', { class: 'pb-Mob-modes', role: 'group', 'aria-label': 'Room mode' }, ...view.modes.map((a) => this.button(binding, a))))
    rows.push(h('p', { class: 'pb-Mob-you' }, view.headline))
    if (view.mode === 'mob') {
      rows.push(h('div', { class: 'pb-Mob-driver' }, h('span', { class: 'pb-Muted' }, 'Driver '), view.driver === null ? h('span', {}, 'nobody') : person(view.driver)))
      rows.push(h('div', { class: 'pb-Mob-timer', role: 'timer' }, h('span', { class: 'pb-Mob-timerTrack' }, this.timerFill), this.timerText))
      rows.push(h('div', { class: 'pb-Mob-next' }, h('span', { class: 'pb-Muted' }, 'Next '), view.next.length === 0 ? h('span', {}, 'nobody yet') : h('ol', { class: 'pb-Mob-queue' }, ...view.next.map((p) => h('li', {}, person(p))))))
      if (view.consent !== null) rows.push(h('div', { class: 'pb-Mob-consent', role: view.consent.actions.length > 0 ? 'alert' : null }, h('span', {}, view.consent.text), ...view.consent.actions.map((a) => this.button(binding, a))))
      rows.push(h('div', { class: 'pb-Mob-actions' }, ...view.actions.map((a) => this.button(binding, a))))
    }
    if (view.lock !== null) rows.push(h('p', { class: 'pb-Mob-lock' }, `Your notebook is read-only: ${view.lock}`))
    this.body.replaceChildren(...rows.filter((row): row is HTMLElement => row !== null))
    this.tick(view)
    if (view.mode === 'mob') this.ticker = window.setInterval(() => this.tick(binding.mob()), 1000)
  }

  private tick(view: MobView): void {
    this.timerText.textContent = view.countdown.text
    this.timerFill.style.width = `${Math.round(view.countdown.fraction * 100)}%`
  }

  private button(binding: NotebookBinding, action: MobAction): HTMLButtonElement {
    const element = button(action.label, action.title, () => void this.send(binding, action), { class: `jp-Button pb-Button${action.primary ? ' jp-mod-accept' : ''}` })
    element.dataset.command = action.command
    if (action.pressed) element.setAttribute('aria-pressed', 'true')
    return element
  }

  private async send(binding: NotebookBinding, action: MobAction): Promise<void> {
    const reply = await binding.room.request(action.command, action.args)
    if (reply === null) this.notify('Not connected to the pairbook room: try again once it reconnects.')
    else if (!reply.ok) this.notify(`pairbook refused “${action.label}”: ${reply.error ?? 'no reason given'}`)
    else if (action.command === 'mob-take' && (reply.result as { pending?: unknown } | undefined)?.pending === true) {
      this.notify(`Asked ${binding.mob().driver?.name ?? 'the driver'} for the keyboard.`)
    }
  }
}

function person(who: PersonView): HTMLElement {
  return h('span', { class: 'pb-Person', style: `--pb-person:${who.color}` }, h('span', { class: 'pb-Person-dot', 'aria-hidden': 'true' }), who.name)
}
