/** The notebook's actions on its selected cell: one row per action of one table. Every
 * structural edit goes through `actions` (the notebook's own transactions, so each person's
 * UndoManager takes it back) and is its own undo step. */

import type { YNotebook } from '@jupyter/ydoc'
import type * as Y from 'yjs'

import { changeCellType, deleteCell, indexOfCell, insertCell, moveCell, type CellType } from './actions'
import type { CellList } from './cellList'
import type { CellView } from './cellView'
import { EDITING_ACTIONS, KERNEL_ACTIONS, type NotebookAction } from './keys'
import type { CellSelection } from './selection'

export type KernelAction = 'run-above' | 'run-below' | 'interrupt' | 'restart'

/** What the actions act on and whom they tell. */
export interface CommandContext {
  readonly notebook: YNotebook
  readonly cells: CellList
  readonly selection: CellSelection
  readonly undoManager: Y.UndoManager
  /** Editing is off: for viewers always, for navigators while someone else drives. */
  readonly readOnly: boolean
  readonly canRun: boolean
  readonly viewer: boolean
  /** Why editing is locked for this person right now (mob mode), or null. */
  readonly lock: string | null
  run(cells: CellView[]): void
  notify(message: string): void
  /** A locked person asked for a run. */
  lockedRun(cell: CellView): void
  kernelAction(action: KernelAction, cellId: string | null): void
  help(): void
  find(): void
}

/** The selected cell (null in an empty notebook) and its index (-1 then). */
interface Target {
  context: CommandContext
  cell: CellView | null
  index: number
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
  COMMANDS[action as CellAction]({ context, cell, index: cell === null ? -1 : context.cells.indexOf(cell) })
}

function useKernel(context: CommandContext, action: KernelAction, cell: CellView | null): void {
  if (!context.canRun && !(action === 'interrupt' && !context.viewer)) {
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

function runCell({ context, cell, index }: Target, then: 'next' | 'stay' | 'insert'): void {
  if (cell === null) return
  // The cell's edits are already on the wire: the run request follows them.
  if (cell.type === 'code' && context.canRun) context.run([cell])
  else if (cell.type === 'code' && context.readOnly) context.lockedRun(cell)
  cell.leaveEdit()
  context.selection.select(cell, 'command')
  if (then === 'stay') return
  const last = index === context.cells.length - 1
  if (then === 'insert' || (last && !context.readOnly)) {
    structural(context, () => insertCell(context.notebook, index + 1, 'code'))
    context.selection.selectIndex(index + 1, 'edit')
  } else {
    context.selection.selectIndex(index + 1, 'command')
  }
}

function insert({ context, cell, index }: Target, where: 'above' | 'below'): void {
  const at = cell === null ? context.cells.length : where === 'above' ? index : index + 1
  if (cell?.isEditing) cell.leaveEdit()
  structural(context, () => insertCell(context.notebook, at, 'code'))
  context.selection.selectIndex(at, 'command')
}

function retype({ context, cell, index }: Target, type: CellType): void {
  if (cell === null || cell.type === type) return
  structural(context, () => changeCellType(context.notebook, index, type))
  context.selection.selectIndex(index, 'command')
}

function selectAt({ context, cell }: Target, index: number): void {
  if (cell?.isEditing) cell.leaveEdit()
  context.selection.selectIndex(Math.max(0, Math.min(index, context.cells.length - 1)), 'command')
}

function move({ context, cell, index }: Target, step: -1 | 1): void {
  if (cell === null) return
  const id = cell.id
  let landed = index
  structural(context, () => {
    landed = moveCell(context.notebook, index, index + step)
  })
  const moved = context.cells.at(landed)
  context.selection.selectIndex(moved !== undefined && moved.id === id ? landed : Math.max(0, indexOfCell(context.notebook, id)), 'command')
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
  'run-next': (target) => runCell(target, 'next'),
  'run-stay': (target) => runCell(target, 'stay'),
  'run-insert': (target) => runCell(target, 'insert'),
  'insert-above': (target) => insert(target, 'above'),
  'insert-below': (target) => insert(target, 'below'),
  delete: ({ context, cell, index }) => {
    if (cell === null) return
    structural(context, () => deleteCell(context.notebook, index))
    context.selection.selectIndex(Math.min(index, context.cells.length - 1), 'command')
  },
  'to-code': (target) => retype(target, 'code'),
  'to-markdown': (target) => retype(target, 'markdown'),
  'to-raw': (target) => retype(target, 'raw'),
  'select-prev': (target) => selectAt(target, target.index - 1),
  'select-next': (target) => selectAt(target, target.index + 1),
  'select-first': (target) => selectAt(target, 0),
  'select-last': (target) => selectAt(target, target.context.cells.length - 1),
  'move-up': (target) => move(target, -1),
  'move-down': (target) => move(target, 1),
  undo: (target) => history(target, 'undo'),
  redo: (target) => history(target, 'redo'),
  help: ({ context }) => context.help(),
  find: ({ context }) => context.find()
}
