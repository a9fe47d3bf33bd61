/** The mob panel: the room's mode, who drives and who is next, the turn's countdown, the
 * rotation buttons, the driver's consent, pointing, the session summary and the room chat.
 * Everything it shows comes from pairbook's `mob` map; everything it does is a command. */

import type * as Y from 'yjs'

import type { CommandName, CommandReply } from '../commands'
import { button, h } from '../dom'
import { initials, inkOn } from '../panels/presence'
import { MobChat } from './mobChat'
import { MobSettingsForm } from './mobSettingsForm'
import {
  countdown,
  describeLines,
  handoverCue,
  lockReason,
  type MobPerson,
  type MobState,
  nameOf,
  preLockAt,
  readMobState,
  roleOf,
  youAre
} from './mobState'
import { openSummaryDialog, type SummaryPerson } from './mobSummary'

export interface Point {
  cell: string
  from: number
  to: number
}

export interface MobPanelOptions {
  ymob: Y.Map<unknown>
  me: { id: string | null; owner: boolean; viewer: boolean }
  request: (command: CommandName, args?: Record<string, unknown>) => Promise<CommandReply | null>
  notify: (message: string) => void
  /** The selected cell and the lines selected in it, to point at. */
  pointTarget: () => Point | null
  setPoint: (point: Point | null) => void
  describeCell: (id: string) => string
  /** Called with every new state (the page locks or unlocks its editors). */
  onState: (state: MobState, lock: string | null) => void
}

export class MobPanel {
  readonly element: HTMLElement
  /** A short label for the toolbar: "Driving" / "Navigating: Ana drives". */
  readonly badge: HTMLElement
  state: MobState
  private readonly body: HTMLElement
  private readonly timer: HTMLElement
  private readonly timerText: HTMLElement
  private readonly timerBar: HTMLElement
  private readonly chat: MobChat
  private readonly settings: MobSettingsForm | null
  private clockOffset = 0
  private pointing: Point | null = null
  private present: Set<string> | null = null
  private flashTimer = 0
  private preLock = 0

  constructor(private readonly options: MobPanelOptions) {
    this.state = readMobState(options.ymob.toJSON())
    this.badge = h('span', { class: 'mob-badge', role: 'status', 'aria-live': 'polite', hidden: true })
    this.body = h('div', { class: 'mob-body' })
    this.timerText = h('span', { class: 'mob-timer-text' })
    this.timerBar = h('span', { class: 'mob-timer-fill' })
    this.timer = h('div', { class: 'mob-timer', role: 'timer', 'aria-live': 'off' }, h('span', { class: 'mob-timer-track' }, this.timerBar), this.timerText)
    this.chat = new MobChat(async (text) => (await this.run('mob-chat', { text })) !== null)
    this.settings = options.me.owner ? new MobSettingsForm((args) => void this.run('mob-settings', args)) : null
    const summary = button('Session summary', 'Who drove, changed and ran what; the commit message', () => void this.showSummary(), { class: 'btn small' })
    this.element = h(
      'section',
      { class: 'panel mob-panel', 'aria-labelledby': 'mob-title', 'data-mode': 'pair' },
      h('h2', { id: 'mob-title' }, 'Mob'),
      this.body,
      h('div', { class: 'mob-summary-row' }, summary),
      this.settings?.element ?? null,
      this.chat.element
    )
    options.ymob.observeDeep(() => this.update())
    window.setInterval(() => this.tick(), 1000)
    this.render()
  }

  /** Once connected: learn the server's clock, so every countdown says the same. */
  async syncClock(): Promise<void> {
    const sent = Date.now() / 1000
    const reply = await this.options.request('mob-clock')
    const now = reply?.ok === true ? (reply.result as { now?: unknown }).now : null
    if (typeof now === 'number') this.clockOffset = now - (sent + Date.now() / 1000) / 2
    this.tick()
  }

  /** Who is here (from awareness): the people in the queue who are not are marked away. */
  setPresent(userIds: Iterable<string>): void {
    const next = new Set(userIds)
    const same = this.present !== null && next.size === this.present.size && [...next].every((id) => this.present?.has(id))
    if (same) return
    this.present = next
    if (this.state.mode === 'mob') this.render()
  }

  /** The server's time now, seconds since the epoch (as far as this browser can tell). */
  now(): number {
    return Date.now() / 1000 + this.clockOffset
  }

  private update(): void {
    const before = this.state
    this.state = readMobState(this.options.ymob.toJSON())
    this.cue(handoverCue(before, this.state, this.options.me.id))
    this.render()
  }

  private render(): void {
    const { state } = this
    const { me } = this.options
    const role = roleOf(state, me.id, me.viewer)
    this.element.dataset.mode = state.mode
    this.element.dataset.role = role ?? 'pair'
    const lock = me.viewer ? null : lockReason(state, me.id)
    this.options.onState(state, lock)
    window.clearTimeout(this.preLock)
    const lockAt = preLockAt(state, me.id, this.present)
    if (lockAt !== null) {
      this.preLock = window.setTimeout(() => {
        this.options.onState(this.state, 'Your turn is ending: the keyboard passes on now.')
      }, Math.max(0, (lockAt - this.now()) * 1000))
    }
    this.badge.hidden = state.mode !== 'mob'
    this.badge.dataset.role = role ?? ''
    this.badge.textContent = role === 'driver' ? 'You are driving' : role === 'navigator' ? `Navigating · ${nameOf(state, state.driver)} drives` : `Observing · ${nameOf(state, state.driver)} drives`

    const rows: Array<HTMLElement | null> = []
    if (me.owner) {
      const modeButton = (mode: 'pair' | 'mob', label: string, title: string) => {
        const b = button(label, title, () => void this.run('mob-mode', { mode }), { class: `btn small${state.mode === mode ? ' pressed' : ''}` })
        b.setAttribute('aria-pressed', String(state.mode === mode))
        return b
      }
      rows.push(h('div', { class: 'mob-modes', role: 'group', 'aria-label': 'Room mode' }, modeButton('pair', 'Pair', 'Pair mode: everyone types'), modeButton('mob', 'Mob', 'Mob mode: one driver types, the others navigate')))
    }
    rows.push(h('p', { class: 'mob-you', 'data-role': role ?? 'pair' }, youAre(state, me.id, me.viewer)))
    if (state.mode === 'mob') {
      rows.push(h('div', { class: 'mob-driver' }, h('span', { class: 'muted' }, 'Driver '), state.driver === null ? h('span', {}, 'nobody') : this.person(state.driver)))
      rows.push(this.timer)
      rows.push(this.queue())
      rows.push(this.actions(role))
      rows.push(this.consent())
      rows.push(this.breakReminder())
    }
    if (!me.viewer) rows.push(this.pointRow())
    this.settings?.show(state.settings)
    this.body.replaceChildren(...rows.filter((row): row is HTMLElement => row !== null))
    this.chat.render(state, me.viewer)
    this.tick()
  }

  private person(id: string, suffix = ''): HTMLElement {
    const who: MobPerson = this.state.people[id] ?? { id, name: id, color: '#6b7280' }
    return h(
      'span',
      { class: 'mob-person', 'data-user-id': id, style: `--person:${who.color};--person-ink:${inkOn(who.color)}` },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(who.name)),
      who.name + (id === this.options.me.id ? ' (you)' : '') + suffix
    )
  }

  private queue(): HTMLElement {
    const { state } = this
    const owner = this.options.me.owner
    const move = (index: number, step: number) => {
      const order = [...state.queue]
      const [who] = order.splice(index, 1)
      if (who === undefined) return
      order.splice(index + step, 0, who)
      void this.run('mob-reorder', { queue: order })
    }
    const items = state.queue.map((id, index) =>
      h(
        'li',
        { 'data-user-id': id },
        this.person(id),
        this.present !== null && !this.present.has(id) ? h('span', { class: 'muted mob-away' }, 'away') : null,
        owner && index > 0 ? button('↑', `Move ${nameOf(state, id)} up`, () => move(index, -1), { class: 'tool' }) : null,
        owner && index < state.queue.length - 1 ? button('↓', `Move ${nameOf(state, id)} down`, () => move(index, 1), { class: 'tool' }) : null
      )
    )
    return h('div', { class: 'mob-next' }, h('span', { class: 'muted' }, 'Next'), items.length ? h('ol', { class: 'mob-queue', 'aria-label': 'Next drivers' }, ...items) : h('span', { class: 'muted' }, ' nobody yet'))
  }

  private actions(role: ReturnType<typeof roleOf>): HTMLElement {
    const { me } = this.options
    const buttons: HTMLElement[] = []
    if (role === 'driver' || (me.owner && this.state.driver !== null)) {
      buttons.push(button('Hand over now', 'Pass the keyboard to the next person now', () => void this.run('mob-handover'), { class: 'btn small primary' }))
    }
    if (role === 'navigator' || (role === 'observer' && !me.viewer)) {
      const waiting = this.state.takeRequest?.user === me.id
      buttons.push(button(waiting ? 'Asked…' : 'Take the keyboard', 'Ask the driver for the keyboard', () => void this.take(), { class: 'btn small' }))
    }
    if (!me.viewer && me.id !== null) {
      const inRotation = role === 'driver' || role === 'navigator'
      buttons.push(
        inRotation
          ? button('Leave rotation', 'Stop driving in turn; watch instead', () => void this.run('mob-leave'), { class: 'btn small' })
          : button('Join rotation', 'Take turns at the keyboard', () => void this.run('mob-join'), { class: 'btn small' })
      )
    }
    return h('div', { class: 'mob-actions' }, ...buttons)
  }

  private consent(): HTMLElement | null {
    const request = this.state.takeRequest
    if (request === null) return null
    const who = nameOf(this.state, request.user)
    if (this.state.driver === this.options.me.id) {
      return h(
        'div',
        { class: 'mob-consent', role: 'alert' },
        h('span', {}, `${who} asks for the keyboard.`),
        button('Give it', `Give the keyboard to ${who}`, () => void this.run('mob-consent', { accept: true }), { class: 'btn small primary' }),
        button('Not now', `Keep the keyboard`, () => void this.run('mob-consent', { accept: false }), { class: 'btn small' })
      )
    }
    return h('p', { class: 'mob-consent muted' }, `${who} asked ${nameOf(this.state, this.state.driver)} for the keyboard.`)
  }

  private breakReminder(): HTMLElement | null {
    const last = this.state.lastBreak
    if (last === null) return null
    const minutes = Math.round(this.state.settings.break_every / 60)
    return h(
      'div',
      { class: 'mob-break', role: 'alert' },
      h('span', {}, `Time for a break: ${minutes} min of mobbing since the last one.`),
      button('Break taken', 'The break happened: count from now', () => void this.run('mob-break'), { class: 'btn small' })
    )
  }

  private pointRow(): HTMLElement {
    const here = this.pointing
    return h(
      'div',
      { class: 'mob-point' },
      button('Point here', 'Show everyone the selected cell and lines', () => this.point(), { class: 'btn small' }),
      here === null ? null : button('Stop pointing', 'Clear your pointer', () => this.clearPoint(), { class: 'btn small' }),
      here === null ? null : h('span', { class: 'muted' }, `${this.options.describeCell(here.cell)}, ${describeLines(here.from, here.to)}`)
    )
  }

  private tick(): void {
    const { text, fraction } = countdown(this.state, this.now())
    this.timerText.textContent = text
    this.timerBar.style.width = `${Math.round(fraction * 100)}%`
    this.timer.toggleAttribute('hidden', text === '')
    const left = this.state.turnEnds === null ? Infinity : this.state.turnEnds - this.now()
    this.timer.classList.toggle('ending', this.state.state === 'driving' && left <= 10)
  }

  private cue(cue: ReturnType<typeof handoverCue>): void {
    if (cue === null) return
    const driver = nameOf(this.state, this.state.driver)
    const message = cue === 'you-drive' ? 'You have the keyboard: you are driving now.' : cue === 'you-stop' ? `${driver} is driving now: you navigate.` : `${driver} is driving now.`
    this.options.notify(message)
    this.element.dataset.cue = cue
    window.clearTimeout(this.flashTimer)
    this.element.classList.remove('handover')
    void this.element.offsetWidth // restart the animation
    this.element.classList.add('handover')
    document.body.classList.toggle('mob-you-drive', cue === 'you-drive')
    this.flashTimer = window.setTimeout(() => {
      this.element.classList.remove('handover')
      document.body.classList.remove('mob-you-drive')
    }, 3000)
    if (cue === 'you-drive') chime()
  }

  /** Ask the driver for the keyboard (or take it, when nobody drives). */
  async take(): Promise<void> {
    const reply = await this.run('mob-take')
    if (reply !== null && (reply as { pending?: boolean }).pending === true) this.options.notify(`Asked ${nameOf(this.state, this.state.driver)} for the keyboard.`)
  }

  private point(): void {
    const target = this.options.pointTarget()
    if (target === null) {
      this.options.notify('Select a cell (and lines in it) first, then point.')
      return
    }
    this.pointing = target
    this.options.setPoint(target)
    this.render()
  }

  private clearPoint(): void {
    this.pointing = null
    this.options.setPoint(null)
    this.render()
  }

  private async showSummary(): Promise<void> {
    const subject = `Update ${document.title.split(' · ')[0] ?? 'notebook'}`
    const result = (await this.run('mob-summary', { subject })) as { message?: string; people?: SummaryPerson[]; review?: string } | null
    if (result === null) return
    openSummaryDialog(result.people ?? [], result.message ?? '', this.options.describeCell, result.review)
  }

  /** A command; its result, or null (and a toast saying why) when it was refused. */
  private async run(command: CommandName, args: Record<string, unknown> = {}): Promise<unknown> {
    const reply = await this.options.request(command, args)
    if (reply === null) {
      this.options.notify('Not connected yet: try again in a moment.')
      return null
    }
    if (!reply.ok) {
      this.options.notify(`Refused: ${reply.error ?? 'the server said no'}.`)
      return null
    }
    return reply.result ?? {}
  }
}

/** A short two-note chime for the new driver (where the browser allows sound). */
function chime(): void {
  try {
    const audio = new AudioContext()
    const notes: Array<[number, number]> = [[660, 0], [880, 0.15]]
    for (const [frequency, at] of notes) {
      const osc = audio.createOscillator()
      const gain = audio.createGain()
      osc.frequency.value = frequency
      gain.gain.setValueAtTime(0.08, audio.currentTime + at)
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.14)
      osc.connect(gain).connect(audio.destination)
      osc.start(audio.currentTime + at)
      osc.stop(audio.currentTime + at + 0.15)
    }
    window.setTimeout(() => void audio.close(), 600)
  } catch {
    // No sound here: the visual cue is enough.
  }
}
