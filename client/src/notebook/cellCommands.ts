/** The notebook's actions on its selected cells: one row per action of one table. Every
 * structural edit goes through `actions` (the notebook's own transactions, so each person's
 * UndoManager takes it back, and partners receive it as any edit: the server refuses it from
 * whoever may not edit) and is its own undo step. */

import type { YNotebook } from '@jupyter/ydoc'
import type * as Y from 'yjs'

import {
  type CellJson,
  changeCellType,
  clearOutputs,
  copyCells,
  deleteCells,
  type HeadingLevel,
  insertCell,
  mergeCells,
  moveCells,
  pasteCells,
  setHeading,
  splitCell,
  type CellType
} from './actions'
import type { CellClipboard } from './cellClipboard'
import type { CellList } from './cellList'
import type { CellView } from './cellView'
import { forgetWhenRewritten } from './clearedOutputs'
import { type HeadingFolds, parentHeading } from './headingFolds'
import { EDITING_ACTIONS, KERNEL_ACTIONS, type NotebookAction } from './keys'
import { headingInsertion, movedSectionStart, sectionEnd } from './sections'
import type { CellSelection } from './selection'

export type KernelAction = 'run-above' | 'run-below' | 'interrupt' | 'restart'

/** What the actions act on and whom they tell. */
export interface CommandContext {
  readonly notebook: YNotebook
  readonly cells: CellList
  readonly selection: CellSelection
  readonly undoManager: Y.UndoManager
  readonly clipboard: CellClipboard
  /** Editing is off: for viewers always, for navigators while someone else drives. */
  readonly readOnly: boolean
  readonly canRun: boolean
  readonly viewer: boolean
  /** Why editing is locked for this person right now (mob mode), or null. */
  readonly lock: string | null
  /** This person's collapsed headings. */
  readonly folds: HeadingFolds
  toggleLineNumbers(): void
  /** Hides this person's view of the cells' outputs, or shows it again. */
  toggleOutputs(ids: string[]): void
  run(cells: CellView[]): void
  notify(message: string): void
  /** A locked person asked for a run. */
  lockedRun(cell: CellView): void
  kernelAction(action: KernelAction, cellId: string | null): void
  help(): void
  find(): void
}

/** The active cell (null in an empty notebook) and its index (-1 then), and the first and
 * last index of the selected cells (the active one's unless the selection was extended). */
interface Target {
  context: CommandContext
  cell: CellView | null
  index: number
  first: number
  last: number
}

type Command = (target: Target) => void

/** Does one of the notebook's actions on the selected cell, if this person may. */
export function performAction(context: CommandContext, action: NotebookAction): void {
  if (context.readOnly && EDITING_ACTIONS.has(action)) {
    context.notify(context.lock ?? 'You are viewing this notebook: editing is turned off for viewers.')
    return
  }
  const cell = context.selection.active
  if (KERNEL_ACTIONS.has(action)) {
    useKernel(context, action as KernelAction, cell)
    return
  }
  const [first, selected] = context.selection.range()
  // A collapsed heading takes the cells it hides along, as in JupyterLab (its section).
  const last = first >= 0 && SECTION_ACTIONS.has(action) ? sectionEnd(hiddenCells(context), selected) : selected
  COMMANDS[action as CellAction]({ context, cell, index: cell === null ? -1 : context.cells.indexOf(cell), first, last })
}

/** Actions on a collapsed heading that act on its whole section. */
const SECTION_ACTIONS: ReadonlySet<NotebookAction> = new Set<NotebookAction>(['run-next', 'run-stay', 'run-insert', 'delete', 'cut', 'copy', 'duplicate', 'move-up', 'move-down'])

/** Whether a collapsed heading hides each cell, in the notebook's order. */
function hiddenCells(context: CommandContext): boolean[] {
  return context.cells.all.map((view) => context.folds.isHidden(view.id))
}

function useKernel(context: CommandContext, action: KernelAction, cell: CellView | null): void {
  // Stopping the kernel is not typing: a navigator's page asks the mob's rules (the owner
  // and whoever's run is running may; kernelAction says why not to the others).
  const stops = action === 'interrupt' || action === 'restart'
  if (!context.canRun && !(stops && !context.viewer)) {
    context.notify(context.lock ?? 'You are viewing this notebook: viewers cannot use the kernel.')
    return
  }
  if ((action === 'run-above' || action === 'run-below') && cell === null) return
  context.kernelAction(action, cell?.id ?? null)
}

/** A structural change is its own undo step, never merged with typing around it. */
function structural(context: CommandContext, change: () => void): void {
  context.undoManager.stopCapturing()
  change()
  context.undoManager.stopCapturing()
}

/** Runs the selected code cells; then, unless `stay`, selects the cell below the last
 * one (a new one at the notebook's end, or always with `insert`). */
function runCells({ context, cell, first, last }: Target, then: 'next' | 'stay' | 'insert'): void {
  if (cell === null) return
  const cells = context.cells.all.slice(first, last + 1)
  // The cells' edits are already on the wire: the run request follows them.
  if (context.canRun) context.run(cells)
  else if (cells.some((each) => each.type === 'code')) context.lockedRun(cell)
  cell.leaveEdit()
  context.selection.select(cell, 'command')
  if (then === 'stay') return
  // The next cell shown: a collapsed heading runs and selects the cell after its section.
  const next = shownFrom(context, last + 1, 1)
  if (then === 'insert' || (next < 0 && !context.readOnly)) {
    structural(context, () => insertCell(context.notebook, last + 1, 'code'))
    context.selection.selectIndex(last + 1, 'edit')
  } else {
    context.selection.selectIndex(next < 0 ? last + 1 : next, 'command')
  }
}

function insert({ context, cell, index }: Target, where: 'above' | 'below'): void {
  const at = cell === null ? context.cells.length : where === 'above' ? index : index + 1
  if (cell?.isEditing) cell.leaveEdit()
  structural(context, () => insertCell(context.notebook, at, 'code'))
  context.selection.selectIndex(at, 'command')
}

function retype({ context, cell, index, first, last }: Target, type: CellType): void {
  if (cell === null) return
  const indices = Array.from({ length: last - first + 1 }, (_, offset) => first + offset)
  const changing = indices.filter((at) => context.cells.at(at)?.type !== type)
  if (changing.length === 0) return
  structural(context, () => context.notebook.transact(() => changing.forEach((at) => changeCellType(context.notebook, at, type))))
  context.selection.selectIndex(index, 'command')
}

/** Makes the selected cells markdown headings of `level` (JupyterLab's 1 to 6). */
function heading({ context, cell, index, first, last }: Target, level: HeadingLevel): void {
  if (cell === null) return
  if (cell.isEditing) cell.leaveEdit()
  structural(context, () =>
    context.notebook.transact(() => {
      for (let at = first; at <= last; at++) setHeading(context.notebook, at, level)
    })
  )
  context.selection.selectIndex(index, 'command')
}

/** The nearest cell from `index` on, going `step`, that no collapsed heading hides (the first
 * cell is never hidden); -1 past the notebook's end. */
function shownFrom(context: CommandContext, index: number, step: -1 | 1): number {
  let at = index
  while (at >= 0 && at < context.cells.length && context.folds.isHidden(context.cells.at(at)!.id)) at += step
  return at < context.cells.length ? at : -1
}

/** The cell shown `step` away from the active one (the active one at the notebook's ends). */
function neighbour({ context, index }: Target, step: -1 | 1): number {
  const at = shownFrom(context, index + step, step)
  return at < 0 ? index : at
}

function selectAt({ context, cell }: Target, index: number): void {
  if (cell?.isEditing) cell.leaveEdit()
  context.selection.collapse()
  context.selection.selectIndex(Math.max(0, Math.min(index, context.cells.length - 1)), 'command')
}

/** Moves the selected cells up or down one place, as one block (JupyterLab's Move Cell Up
 * and Down); they stay selected, the same cell active. */
function move({ context, cell, first, last }: Target, step: -1 | 1): void {
  if (cell === null) return
  // Past a whole collapsed section, never into it: what is hidden stays hidden.
  structural(context, () => moveCells(context.notebook, first, last, movedSectionStart(hiddenCells(context), first, last, step)))
  // The moved cells are new views under the same ids: the selection found them again.
  const active = context.selection.active
  if (active !== null) context.selection.reveal(active)
}

/** Inserts a markdown heading above the cell or at the end of its section, at the level of
 * the section it is in, and edits it (JupyterLab's Shift+A and Shift+B). */
function insertHeading({ context, cell, index }: Target, where: 'above' | 'below'): void {
  if (cell === null) return
  if (cell.isEditing) cell.leaveEdit()
  const { at, level } = headingInsertion(context.cells.all.map((view) => context.folds.levelOf(view.id)), index, where)
  structural(context, () => insertCell(context.notebook, at, 'markdown', `${'#'.repeat(level)} `))
  context.selection.collapse()
  context.selection.selectIndex(at, 'edit')
  context.cells.at(at)?.enterEdit('end') // after the "## ", to type the title
}

/** Deletes the selected cells and selects the cell now in their place. */
function remove({ context, cell, first, last }: Target): void {
  if (cell === null) return
  structural(context, () => deleteCells(context.notebook, first, last))
  context.selection.selectIndex(Math.min(first, context.cells.length - 1), 'command')
}

function copy({ context, cell, first, last }: Target): void {
  if (cell !== null) context.clipboard.copy(copyCells(context.notebook, first, last))
}

/** Pastes the copied cells above the first selected cell or below the last, and selects them. */
function paste({ context, cell, first, last }: Target, where: 'above' | 'below'): void {
  const cells = context.clipboard.paste()
  if (cells.length === 0) {
    context.notify('Nothing to paste: copy cells with C (or cut them with X) first.')
    return
  }
  place(context, cell, cell === null ? context.cells.length : where === 'above' ? first : last + 1, cells)
}

/** Copies the selected cells below the last of them, leaving the clipboard alone, and
 * selects the copies (JupyterLab's Duplicate, in the cell's toolbar). */
function duplicate({ context, cell, first, last }: Target): void {
  if (cell !== null) place(context, cell, last + 1, copyCells(context.notebook, first, last))
}

/** Inserts `cells` (new ids) at `at` and selects them. */
function place(context: CommandContext, cell: CellView | null, at: number, cells: CellJson[]): void {
  if (cell?.isEditing) cell.leaveEdit()
  structural(context, () => pasteCells(context.notebook, at, cells))
  context.selection.selectRun(context.cells.all.slice(at, at + cells.length))
}

/** Merges the selected cells, or the cell with the one below, into the active cell's type. */
function merge({ context, cell, index, first, last }: Target): void {
  if (cell === null || (first === last && last === context.cells.length - 1)) return
  const end = first === last ? last + 1 : last
  if (cell.isEditing) cell.leaveEdit()
  structural(context, () => mergeCells(context.notebook, first, end, index))
  context.selection.selectIndex(first, 'command')
}

/** Merges the active cell with the one above or below (JupyterLab's Ctrl+Backspace and
 * Ctrl+Shift+M), into the active cell's type; several selected cells merge together. */
function mergeWith(target: Target, step: -1 | 1): void {
  const { context, cell, index, first, last } = target
  if (first !== last) return merge(target)
  const other = index + step
  if (cell === null || other < 0 || other >= context.cells.length) return
  if (cell.isEditing) cell.leaveEdit()
  const top = Math.min(index, other)
  structural(context, () => mergeCells(context.notebook, top, top + 1, index))
  context.selection.selectIndex(top, 'command')
}

/** Clears the selected cells' outputs (`all`: every cell's), as JupyterLab's Clear Outputs:
 * one undo step, until the cells run again. */
function clear({ context, cell, first, last }: Target, all: boolean): void {
  if (cell === null) return
  const [from, to] = all ? [0, context.cells.length - 1] : [first, last]
  let cleared: string[] = []
  structural(context, () => {
    cleared = clearOutputs(context.notebook, from, to)
  })
  forgetWhenRewritten(context.notebook, context.undoManager, cleared)
}

/** ← on a heading collapses it, elsewhere selects the heading that holds the cell; → expands
 * a collapsed heading, elsewhere selects the next heading shown (JupyterLab 4's arrows). */
function fold({ context, cell, index }: Target, collapse: boolean): void {
  if (cell === null) return
  const { folds } = context
  if (folds.levelOf(cell.id) > 0 && folds.isCollapsed(cell.id) !== collapse) {
    folds.toggle(cell.id, collapse)
    return
  }
  const levels = context.cells.all.map((view) => folds.levelOf(view.id))
  const at = collapse ? parentHeading(levels, index) : levels.findIndex((level, at) => at > index && level > 0 && !folds.isHidden(context.cells.at(at)!.id))
  if (at >= 0) selectAt({ context, cell, index, first: index, last: index }, at)
}

/** Splits the cell being edited at its cursors (Ctrl+Shift+-), as JupyterLab's Split Cell. */
function split({ context, cell, index }: Target): void {
  const ranges = cell?.selectionRanges() ?? []
  if (cell === null || ranges.length === 0) return
  let selected = index
  structural(context, () => {
    selected = splitCell(context.notebook, index, ranges)
  })
  context.selection.selectIndex(selected, 'edit')
}

function history({ context, index }: Target, step: 'undo' | 'redo'): void {
  if (step === 'undo') context.undoManager.undo()
  else context.undoManager.redo()
  if (context.selection.active === null && context.cells.length > 0) context.selection.selectIndex(Math.max(0, index), 'command')
}

type CellAction = Exclude<NotebookAction, KernelAction>

const COMMANDS: Readonly<Record<CellAction, Command>> = {
  edit: ({ context, cell }) => {
    if (cell === null) return
    cell.enterEdit()
    context.selection.select(cell, 'edit')
  },
  'run-next': (target) => runCells(target, 'next'),
  'run-stay': (target) => runCells(target, 'stay'),
  'run-insert': (target) => runCells(target, 'insert'),
  'insert-above': (target) => insert(target, 'above'),
  'insert-below': (target) => insert(target, 'below'),
  'insert-heading-above': (target) => insertHeading(target, 'above'),
  'insert-heading-below': (target) => insertHeading(target, 'below'),
  delete: remove,
  'to-code': (target) => retype(target, 'code'),
  'to-markdown': (target) => retype(target, 'markdown'),
  'to-raw': (target) => retype(target, 'raw'),
  'heading-1': (target) => heading(target, 1),
  'heading-2': (target) => heading(target, 2),
  'heading-3': (target) => heading(target, 3),
  'heading-4': (target) => heading(target, 4),
  'heading-5': (target) => heading(target, 5),
  'heading-6': (target) => heading(target, 6),
  'select-prev': (target) => selectAt(target, neighbour(target, -1)),
  'select-next': (target) => selectAt(target, neighbour(target, 1)),
  'select-first': (target) => selectAt(target, 0),
  'select-last': (target) => selectAt(target, shownFrom(target.context, target.context.cells.length - 1, -1)),
  'move-up': (target) => move(target, -1),
  'move-down': (target) => move(target, 1),
  undo: (target) => history(target, 'undo'),
  redo: (target) => history(target, 'redo'),
  help: ({ context }) => context.help(),
  find: ({ context }) => context.find(),
  'extend-up': ({ context }) => context.selection.extend(-1),
  'extend-down': ({ context }) => context.selection.extend(1),
  'extend-top': ({ context }) => context.selection.extendToIndex(0),
  'extend-bottom': ({ context }) => context.selection.extendToIndex(context.cells.length - 1),
  'select-all': ({ context }) => context.selection.selectAll(),
  copy,
  cut: (target) => {
    copy(target)
    remove(target)
  },
  'paste-below': (target) => paste(target, 'below'),
  'paste-above': (target) => paste(target, 'above'),
  merge,
  'merge-above': (target) => mergeWith(target, -1),
  'merge-below': (target) => mergeWith(target, 1),
  'clear-outputs': (target) => clear(target, false),
  'clear-all-outputs': (target) => clear(target, true),
  'toggle-line-numbers': ({ context }) => context.toggleLineNumbers(),
  'toggle-outputs': ({ context }) => context.toggleOutputs(context.selection.selectedCells().map((view) => view.id)),
  'collapse-heading': (target) => fold(target, true),
  'expand-heading': (target) => fold(target, false),
  'collapse-all': ({ context }) => context.folds.setAll(true),
  'expand-all': ({ context }) => context.folds.setAll(false),
  split,
  duplicate
}
