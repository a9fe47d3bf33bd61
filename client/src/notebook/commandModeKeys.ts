/** The notebook's keyboard in command mode: a key pressed on the cell list becomes one of the
 * notebook's actions (keys.ts reads it), and a key typed into a locked editor is told to the
 * page, which says why nothing happens. */

import type { CellView } from './cellView'
import { CommandKeys, type KeyInput, type NotebookAction } from './keys'
import type { LockedInput } from './notebookViewOptions'

/** What the keyboard acts on. */
export interface CommandModeHost {
  /** Editing is off (a viewer, or locked in mob mode). */
  readonly readOnly: boolean
  /** The replay: ← and → step through time rather than fold. */
  readonly replay: boolean
  perform(action: NotebookAction): void
  cellOf(node: Element): CellView | null
  onUserNavigation?: () => void
  onLockedInput?: (cell: CellView | null, input: LockedInput) => void
}

export class CommandModeKeys {
  private readonly keys = new CommandKeys()

  constructor(private readonly host: CommandModeHost) {}

  /** Listens for the keys pressed on the cell list. */
  listen(list: HTMLElement): void {
    list.addEventListener('keydown', (event) => this.onKeydown(event))
    // Capture: a read-only editor takes the key without a word; the person hears why.
    list.addEventListener('keydown', (event) => this.onLockedKey(event), true)
  }

  /** Handles a command-mode key press; returns whether it did something. */
  handleKey(input: KeyInput): boolean {
    const action = this.keys.press(input)
    // In the replay ← and → step through time (its caret and Ctrl+Shift+← → still fold).
    if (action === null || (this.host.replay && /^(collapse|expand)-heading$/.test(action))) return false
    this.host.onUserNavigation?.()
    this.host.perform(action)
    return true
  }

  private onKeydown(event: KeyboardEvent): void {
    const target = event.target as Element
    if (target.closest('.cm-editor, button, input, select, textarea, a') !== null) return
    const handled = this.handleKey({ key: event.key, shift: event.shiftKey, ctrl: event.ctrlKey, alt: event.altKey, meta: event.metaKey })
    if (handled) {
      event.preventDefault()
      event.stopPropagation()
    }
  }

  private onLockedKey(event: KeyboardEvent): void {
    if (!this.host.readOnly || (event.target as Element).closest('.cm-editor') === null) return
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) return // a run: perform() tells
    this.host.onLockedInput?.(this.host.cellOf(event.target as Element), { kind: 'key', key: event.key, ctrl: event.ctrlKey, meta: event.metaKey })
  }
}
