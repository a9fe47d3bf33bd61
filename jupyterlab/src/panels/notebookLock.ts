/** A navigator's notebook in JupyterLab, read-only while someone else drives: every cell's
 * editor is read-only (without writing `editable: false` into the shared cells, which the
 * server would refuse), and the notebook's keys and tools that would change the document
 * or run cells do nothing but say why. The server refuses such edits anyway; this keeps a
 * stray keystroke from being refused (and the document reloaded). */

import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'

/** The class on a locked notebook panel (its editing tools are greyed out by style). */
export const LOCKED_CLASS = 'pb-Locked'

/** Keys that leave the document alone in command mode: moving, selecting, copying,
 * finding, entering a (read-only) editor and leaving it. */
const HARMLESS_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End', 'Escape', 'Enter', 'Tab', ' ', 'Shift', 'Control', 'Alt', 'Meta', 'j', 'k', 'J', 'K', 'c', 'C', 'f', 'F', 'o', 'O', 'l', 'L', 'h', 'H'])

/** Whether a key pressed in a locked notebook would change it or run a cell. In an editor
 * (read-only) only the run and split shortcuts reach the notebook; in command mode every
 * key but the harmless ones is an edit (a, b, x, v, d d, m, y, 1–6, z, …). */
export function isEditingKey(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>, inEditor: boolean): boolean {
  const modified = event.ctrlKey || event.metaKey
  if (event.key === 'Enter') return modified || event.shiftKey || event.altKey
  if (inEditor) return modified && event.shiftKey && event.key === '-'
  if (modified) return event.key === 'v' || event.key === 'x' || event.key === 'z' || event.key === 'y'
  return !HARMLESS_KEYS.has(event.key)
}

export class NotebookLock implements IDisposable {
  private locked = false
  private disposed = false

  /** `notify` tells the person why a key did nothing (at most once per lock). */
  constructor(private readonly panel: NotebookPanel, private readonly notify: (reason: string) => void) {
    panel.content.model?.cells.changed.connect(this.apply, this)
    panel.node.addEventListener('keydown', this.onKey, true)
  }

  private reason = ''
  private told = false

  get isLocked(): boolean {
    return this.locked
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  /** Locks the notebook with `reason` (shown to the person), or unlocks it (null). */
  set(reason: string | null): void {
    const locked = reason !== null
    if (locked && reason !== this.reason) this.told = false
    this.reason = reason ?? ''
    if (locked === this.locked) return
    this.locked = locked
    this.panel.toggleClass(LOCKED_CLASS, locked)
    this.apply()
  }

  dispose(): void {
    if (this.disposed) return
    this.set(null)
    this.disposed = true
    this.panel.content.model?.cells.changed.disconnect(this.apply, this)
    this.panel.node.removeEventListener('keydown', this.onKey, true)
  }

  /** Every cell, including ones that arrive while locked. */
  private apply(): void {
    for (const cell of this.panel.content.widgets) lockCell(cell, this.locked)
  }

  private readonly onKey = (event: KeyboardEvent): void => {
    if (!this.locked) return
    const target = event.target instanceof Element ? event.target : null
    // Only the notebook's own keys: not the search box, an input() prompt or a toolbar field.
    if (target === null || !this.panel.content.node.contains(target) || target.closest('input, textarea, select') !== null) return
    const inEditor = target.closest('.jp-Cell .cm-editor') !== null
    if (!isEditingKey(event, inEditor) && !(inEditor && isTyping(event))) return
    event.preventDefault()
    event.stopPropagation()
    if (!this.told) {
      this.told = true
      this.notify(this.reason)
    }
  }
}

/** A printable key or a deletion in an editor: CodeMirror ignores it (read-only); the
 * person is told why once. */
function isTyping(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return false
  return event.key.length === 1 || event.key === 'Backspace' || event.key === 'Delete'
}

/** Read-only without touching the shared cell's `editable` metadata (JupyterLab writes it
 * into the document when `syncEditable` is on: an edit the room refuses a viewer or a
 * navigator): `syncEditable` off first, and back on (reading the metadata again) to unlock. */
export function lockCell(cell: Cell, locked: boolean): void {
  if (locked) {
    cell.syncEditable = false
    cell.readOnly = true
  } else if (cell.syncEditable === false) {
    cell.syncEditable = true
  }
}
