/** What a person who may not type is told when they try: one note in the cell they typed
 * in (not one per keystroke) — a viewer that viewers do not edit, a navigator in mob mode who
 * drives and the wait for their own turn.
 * A driver whose turn just ended is told how many keystrokes were not applied, and the
 * text they typed is held for them to offer to the new driver in the chat, or to copy —
 * whether their editor had locked (the keys never went out) or the server refused what
 * reached it too late after the handover (`refused`). */

import { button, h } from '../dom'
import { formatClock, lockReason, type MobState, nameOf, roleOf, turnIn } from './mobState'

export interface LockNoteOptions {
  me: string | null
  /** A viewer: never types, whatever the mob does. */
  viewer?: boolean
  /** Server time, seconds since the epoch (the mob panel's clock). */
  now: () => number
  askForKeyboard: () => void
  /** Posts to the room's chat; resolves whether it was posted. */
  chat: (text: string) => Promise<boolean>
  notify: (message: string) => void
}

/** What a keystroke into a locked editor would have typed (null: not typing). */
export function typedBy(key: string, ctrl: boolean, meta: boolean): string | null {
  if (ctrl || meta) return null
  if (key === 'Enter') return '\n'
  if (key === 'Tab') return '    '
  if (key === 'Backspace' || key === 'Delete') return '\b'
  return key.length === 1 ? key : null
}

/** The text of held keystrokes: `\b` takes back the character before it. */
export function heldText(keys: readonly string[]): string {
  let text = ''
  for (const key of keys) text = key === '\b' ? text.slice(0, -1) : text + key
  return text
}

const VIEWING = 'You are viewing this notebook: viewers do not edit or run cells.'

/** Held text a chat message can carry (the server takes 2,000 characters). */
const CHAT_ROOM = 1800

export class LockNote {
  readonly element: HTMLElement
  private readonly text: HTMLElement
  private readonly actions: HTMLElement
  private state: MobState | null = null
  private lock: string | null = null
  /** This lock began when my own turn ended: what I type now is held. */
  private afterTurn = false
  private dismissed = false
  private keys: string[] = []
  /** What the server refused of my typing (it reached the room after my turn ended). */
  private refusedText = ''
  private refusedRuns = 0
  private timer = 0

  constructor(private readonly options: LockNoteOptions) {
    this.text = h('span', { class: 'lock-note-text' })
    this.actions = h('span', { class: 'lock-note-actions' })
    this.element = h(
      'div',
      { class: 'lock-note', role: 'status', 'aria-live': 'polite', hidden: true },
      this.text,
      this.actions,
      button('×', 'Dismiss this note', () => this.dismiss(), { class: 'lock-note-close' })
    )
  }

  /** A new mob state and lock (null: I may type). A lock that follows my own turn holds
   * what I type from now on. */
  setState(state: MobState, mobLock: string | null): void {
    const lock = this.options.viewer === true ? VIEWING : mobLock
    const wasDriving = this.state !== null && this.state.driver === this.options.me && this.lock === null
    this.state = state
    if (lock !== this.lock) {
      const before = this.lock
      this.lock = lock
      if (lock === null) {
        // My turn (again): keystrokes held from before stay on offer until dismissed.
        if (!(this.afterTurn && (this.keys.length > 0 || this.refusedText !== ''))) this.reset(false)
      } else if (before === null) {
        this.reset(wasDriving || this.lockedAhead(lock))
      } // else one lock follows another (the pre-lock, then the new driver): the same note
    }
    this.render()
  }

  /** Someone typed into a locked editor inside `cell`. */
  keystroke(cell: HTMLElement, key: string, ctrl: boolean, meta: boolean): void {
    if (this.lock === null) return
    const typed = typedBy(key, ctrl, meta)
    if (typed === null) return
    this.keys.push(typed)
    this.show(cell)
  }

  /** The server refused my edits (they reached it after my turn had ended): `text` is
   * what I typed that it does not hold; shown in `cell`, counted and held for an offer. */
  refused(cell: HTMLElement | null, text: string): void {
    if (text === '' || text === this.refusedText) return // a page that resyncs is refused again
    this.afterTurn = true
    this.dismissed = false
    this.refusedText = text
    this.show(cell)
  }

  /** Someone asked to run a cell while locked (Ctrl+Enter and friends). */
  runRefused(cell: HTMLElement | null): void {
    if (this.lock === null) return
    this.refusedRuns += 1
    this.show(cell)
  }

  private lockedAhead(lock: string): boolean {
    // The pre-lock just before an automatic handover: my turn is ending.
    return this.state?.driver === this.options.me && lock.startsWith('Your turn is ending')
  }

  private reset(afterTurn: boolean): void {
    this.afterTurn = afterTurn
    this.dismissed = false
    this.keys = []
    this.refusedText = ''
    this.refusedRuns = 0
  }

  private show(cell: HTMLElement | null): void {
    if (this.dismissed) return
    if (cell !== null && !cell.contains(this.element)) {
      // Right under the cell's source, where the person is looking.
      const input = cell.querySelector('.cell-input')
      if (input !== null) input.after(this.element)
      else cell.append(this.element)
    }
    this.element.hidden = this.element.parentElement === null
    this.render()
    if (this.timer === 0) this.timer = window.setInterval(() => this.render(), 1000)
  }

  private dismiss(): void {
    this.dismissed = true
    this.keys = []
    this.refusedText = ''
    this.element.hidden = true
    window.clearInterval(this.timer)
    this.timer = 0
  }

  private render(): void {
    const state = this.state
    if (state === null || this.element.hidden) return
    const held = this.refusedText + heldText(this.keys)
    const count = Array.from(this.refusedText).length + this.keys.length
    if (this.afterTurn && count > 0) {
      const next = state.driver === this.options.me ? 'you drive again' : `${nameOf(state, state.driver)} drives now`
      this.text.textContent = `${count} keystroke${count === 1 ? '' : 's'} typed after your turn ended ${count === 1 ? 'was' : 'were'} not applied (${next}).`
      this.element.dataset.kind = 'held'
      this.actions.replaceChildren(...this.heldActions(state, held))
      return
    }
    if (this.lock === null) {
      this.dismiss()
      return
    }
    this.element.dataset.kind = 'navigating'
    this.text.textContent = this.sentence(state, count)
    const canAsk = this.options.viewer !== true && state.driver !== null && roleOf(state, this.options.me) === 'navigator'
    this.actions.replaceChildren(canAsk ? button('Ask for the keyboard', `Ask ${nameOf(state, state.driver)} for the keyboard`, () => this.options.askForKeyboard(), { class: 'btn small' }) : '')
  }

  /** "You are navigating: Ana drives. Ask for the keyboard or wait for your turn in 3:12." */
  private sentence(state: MobState, count: number): string {
    const role = roleOf(state, this.options.me)
    const driver = nameOf(state, state.driver)
    const wait = turnIn(state, this.options.me, this.options.now())
    const notTyped = count > 0 ? ` (${count} key${count === 1 ? '' : 's'} not typed)` : ''
    if (this.options.viewer === true) return `${VIEWING}${notTyped}`
    const tried = notTyped !== '' ? notTyped : this.refusedRuns > 0 ? ' (only the driver runs cells)' : ''
    if (state.driver === null) return `${lockReason(state, this.options.me) ?? ''}${tried}`
    if (role === 'observer') return `You are observing: ${driver} drives. Join the rotation to take a turn at the keyboard.${tried}`
    const when = wait === null ? `wait until ${driver} hands over` : `wait for your turn in ${formatClock(wait)}`
    return `You are navigating: ${driver} drives. Ask for the keyboard or ${when}.${tried}`
  }

  private heldActions(state: MobState, held: string): HTMLElement[] {
    const actions: HTMLElement[] = []
    const driver = state.driver
    if (held.trim() !== '' && driver !== null && driver !== this.options.me) {
      actions.push(button(`Offer to ${nameOf(state, driver)}`, `Post what you typed to the chat for ${nameOf(state, driver)}`, () => void this.offer(held), { class: 'btn small primary' }))
    }
    if (held.trim() !== '' && navigator.clipboard !== undefined) {
      actions.push(button('Copy', 'Copy what you typed', () => {
        navigator.clipboard.writeText(held).then(() => this.options.notify('Copied what you typed.'), () => this.options.notify('Could not copy: select the text in the chat instead.'))
      }, { class: 'btn small' }))  // prettier-ignore
    }
    return actions
  }

  private async offer(held: string): Promise<void> {
    const text = held.length > CHAT_ROOM ? `${held.slice(0, CHAT_ROOM)}…` : held
    if (await this.options.chat(`Typed after my turn ended (not applied):\n${text}`)) this.dismiss()
  }
}
