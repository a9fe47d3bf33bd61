/** Which cell this person has selected and Jupyter's mode in it (command, edit, or answering
 * an `input()` prompt): shown on the page, told to the partners through awareness, and kept
 * through structural changes. As in JupyterLab, Shift+↑ ↓ (or Shift+click) extend the
 * selection to a run of cells, from an anchor to the active cell, and Ctrl+A selects them all
 * (the active cell stays where it is); the cell commands act on all of them. */

import type { Awareness } from 'y-protocols/awareness'

import type { CellList } from './cellList'
import type { CellView } from './cellView'

/** Where the keyboard goes: the notebook's keys, a cell's editor, or an `input()` prompt of
 * a run (the kernel waits for an answer: neither a cell is edited nor the notebook commanded). */
export type Mode = 'command' | 'edit' | 'input'

export interface SelectionOptions {
  awareness: Awareness
  /** The notebook's element: it carries the `editing` class in edit mode. */
  element: HTMLElement
  /** Called when the selected cell or the mode changes. */
  onSelection?: (cell: CellView | null, mode: Mode) => void
  /** A person navigated themselves (follow mode stops). */
  onUserNavigation?: () => void
}

export class CellSelection {
  private current: CellView | null = null
  private currentMode: Mode = 'command'
  /** The id of the cell where an extended selection started, or null (just the active cell). */
  private anchor: string | null = null
  /** The id of the run's far end when that is not the active cell (Ctrl+A: the last cell). */
  private extent: string | null = null
  private painted: CellView[] = []

  constructor(
    private readonly cells: CellList,
    private readonly options: SelectionOptions
  ) {}

  get active(): CellView | null {
    return this.current
  }

  get mode(): Mode {
    return this.currentMode
  }

  /** Selects the cell at `index` (clamped), puts the keyboard there and scrolls to it. */
  selectIndex(index: number, mode: Mode): void {
    const cell = this.cells.at(Math.max(0, Math.min(index, this.cells.length - 1)))
    if (cell === undefined) {
      this.select(null, 'command')
      return
    }
    this.select(cell, mode)
    if (mode === 'edit') cell.enterEdit('start')
    else cell.element.focus({ preventScroll: true })
    this.reveal(cell)
  }

  /** The selected cells' first and last index (both the active cell's when not extended;
   * -1 in an empty notebook). */
  range(): [number, number] {
    const active = this.current === null ? -1 : this.cells.indexOf(this.current)
    const ends = [this.anchor, this.extent].map((id) => {
      const cell = id === null ? null : this.cells.cellById(id)
      return cell === null ? active : this.cells.indexOf(cell)
    })
    return [Math.min(active, ...ends), Math.max(active, ...ends)]
  }

  /** The selected cells, in notebook order. */
  selectedCells(): CellView[] {
    const [first, last] = this.range()
    return first < 0 ? [] : this.cells.all.slice(first, last + 1)
  }

  /** Extends the selection by one cell up or down (Shift+↑ ↓), or shrinks it back. */
  extend(step: -1 | 1): void {
    if (this.current === null) return
    this.extendTo(this.cells.at(this.cells.indexOf(this.current) + step) ?? this.current)
  }

  /** Extends the selection to the cell at `index` (Shift+Home, Shift+End). */
  extendToIndex(index: number): void {
    const cell = this.cells.at(index)
    if (cell !== undefined) this.extendTo(cell)
  }

  /** Selects the run of cells from the anchor (the active cell, if none yet) to `cell`. */
  extendTo(cell: CellView): void {
    if (this.current === null) return
    if (this.current.isEditing) this.current.leaveEdit()
    this.anchor ??= this.current.id
    this.extent = null
    this.select(cell, 'command', true)
    cell.element.focus({ preventScroll: true })
    this.reveal(cell)
  }

  /** Selects `cells` (in notebook order), the last one active. */
  selectRun(cells: readonly CellView[]): void {
    const [first] = cells
    const last = cells[cells.length - 1]
    if (first === undefined || last === undefined) return
    this.selectIndex(this.cells.indexOf(last), 'command')
    if (first !== last) {
      this.anchor = first.id
      this.paint()
    }
  }

  /** Selects every cell (Ctrl+A); the active cell, the keyboard and the scroll stay put. */
  selectAll(): void {
    const first = this.cells.at(0)
    const last = this.cells.at(this.cells.length - 1)
    if (this.current === null || first === undefined || last === undefined) return
    this.anchor = first.id
    this.extent = last.id
    this.paint()
  }

  /** Selects the cell (with `extend`, keeping the anchor of an extended selection). */
  select(cell: CellView | null, mode: Mode, extend = false): void {
    if (!extend && cell !== this.current) {
      this.anchor = null
      this.extent = null
    }
    if (cell !== this.current) {
      const previous = this.current
      previous?.setActive(false)
      previous?.setMode(null)
      if (previous !== null && previous.type === 'markdown' && previous.isEditing && this.cells.includes(previous)) {
        previous.leaveEdit(false)
      }
      this.current = cell
      cell?.setActive(true)
    }
    this.paint()
    this.setMode(mode)
  }

  /** Back to the active cell alone. */
  collapse(): void {
    this.anchor = null
    this.extent = null
    this.paint()
  }

  /** Marks the selected cells other than the active one (which is marked as active). */
  private paint(): void {
    const selected = this.anchor === null && this.extent === null ? [] : this.selectedCells()
    for (const view of this.painted) if (!selected.includes(view)) view.setSelected(false)
    for (const view of selected) view.setSelected(true)
    this.painted = selected
  }

  setMode(mode: Mode): void {
    this.currentMode = mode
    this.current?.setMode(mode)
    this.options.element.classList.toggle('editing', mode === 'edit')
    this.publish()
    this.options.onSelection?.(this.current, mode)
  }

  /** Follows the focus in the notebook's cells (`list`): into an editor is edit mode, into
   * an input() prompt input mode, onto a cell command mode; out of the cells, command mode. */
  followFocus(list: HTMLElement): void {
    list.addEventListener('focusin', (event) => {
      const target = event.target as Element
      const cell = this.cells.cellOf(target)
      if (cell === null) return
      if (target.closest('.cm-editor') !== null) this.select(cell, 'edit')
      else if (target.closest('.cell-input-request') !== null) this.select(cell, 'input')
      else if (target === cell.element) this.select(cell, 'command')
    })
    list.addEventListener('focusout', (event) => {
      const next = event.relatedTarget as Element | null
      if (next === null || !list.contains(next)) this.setMode('command')
    })
  }

  /** Gives the keyboard back to the selected cell (after a toolbar button, say). */
  focusActive(): void {
    if (this.currentMode === 'command') this.current?.element.focus({ preventScroll: true })
  }

  /** Scrolls just enough to show the cell (the selected one, after keyboard navigation). */
  reveal(cell: CellView): void {
    cell.element.scrollIntoView({ block: 'nearest' })
  }

  /** Escape in a cell's editor: back to command mode on it. */
  leaveEditing(cell: CellView | null): boolean {
    if (cell === null) return false
    cell.leaveEdit()
    this.select(cell, 'command')
    return true
  }

  /** ↑ on the first line or ↓ on the last: edit the cell above or below. */
  moveEditing(cell: CellView | null, step: -1 | 1): boolean {
    if (cell === null) return false
    const next = this.cells.at(this.cells.indexOf(cell) + step)
    if (next === undefined) return false
    this.options.onUserNavigation?.()
    cell.leaveEdit()
    this.select(next, 'edit')
    next.enterEdit(step === 1 ? 'start' : 'end')
    this.reveal(next)
    return true
  }

  /** Keeps a selection whose cell went away in a structural change: a move or a type change
   * re-creates it under the same id; a deleted cell leaves its place to a neighbour. */
  afterCellsChanged(previous: CellView | null, previousIndex: number, wasEditing: boolean): void {
    if (this.anchor !== null && this.cells.cellById(this.anchor) === null) this.anchor = null
    if (this.extent !== null && this.cells.cellById(this.extent) === null) this.extent = null
    this.painted = this.painted.filter((view) => this.cells.includes(view))
    this.paint()
    if (previous === null || this.cells.includes(previous)) {
      this.selectFirstIfNone()
      return
    }
    let replacement = this.cells.cellById(previous.id)
    if (replacement === null && this.cells.length > 0) {
      replacement = this.cells.at(Math.min(Math.max(previousIndex, 0), this.cells.length - 1)) ?? null
    }
    this.current = null
    if (replacement === null) {
      this.select(null, 'command')
      return
    }
    this.select(replacement, 'command', true)
    if (wasEditing && replacement.id === previous.id) replacement.enterEdit()
    else if (this.cells.element.contains(document.activeElement) || document.activeElement === document.body) {
      replacement.element.focus({ preventScroll: true })
    }
  }

  /** A notebook with cells has one selected: the first, until the person picks another. */
  selectFirstIfNone(): void {
    const first = this.cells.at(0)
    if (this.current !== null || first === undefined) return
    this.current = first
    first.setActive(true)
    this.publish()
    this.options.onSelection?.(first, this.currentMode)
  }

  private publish(): void {
    const state = this.options.awareness.getLocalState()
    if (state === null) return
    const cell = this.current?.id ?? null
    if (state.cell !== cell || state.mode !== this.currentMode) {
      this.options.awareness.setLocalState({ ...state, cell, mode: this.currentMode })
    }
  }
}
