/** What a cell on screen needs from the notebook around it. */

import type { Extension } from '@codemirror/state'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import type { KernelAssist } from '../editor/kernelAssist'
import type { RunStore } from '../kernel/runStore'
import type { TimeFrame } from '../kernel/runs'
import type { CellView } from './cellView'
import type { NotebookAction } from './keys'
import type { WidgetViews } from './outputs'

/** What a cell needs from the notebook around it. */
export interface CellHost {
  readonly awareness: Awareness
  readonly undoManager: Y.UndoManager
  /** Editing is off: for viewers always, for navigators while someone else drives. */
  readonly readOnly: boolean
  /** A viewer: the page never offers editing tools. */
  readonly viewer: boolean
  readonly notebookKeys: Extension
  /** The shared kernel's completion and help, and the notebook's indent unit. */
  readonly assist: KernelAssist | null
  /** Draws widget view outputs from the room's shared widgets (null: their text form). */
  readonly widgets: WidgetViews | null
  readonly indentUnit: string
  /** The runs in the document; `canRun`: this person may run cells (not a viewer). */
  readonly runs: RunStore
  readonly canRun: boolean
  /** What runs' times are told relative to: now (seconds since the epoch), or a replayed moment. */
  readonly times: { now(): number; frame: TimeFrame }
  indexOf(cell: CellView): number
  /** The cell's editor got focus: it becomes the selected cell, in edit mode. */
  editorFocused(cell: CellView): void
  /** The cell was clicked outside its editor, or Shift+clicked (`extend`). */
  selected(cell: CellView, extend: boolean): void
  /** A person asked to edit the cell (double-click on rendered markdown). */
  editRequested(cell: CellView): void
  /** A per-cell button was pressed. */
  actionRequested(cell: CellView, action: NotebookAction): void
  /** The highlights of the notebook search's matches in a cell's editor. */
  searchHighlight(ysource: Y.Text): Extension
  /** The person answered an input() prompt of one of their runs. */
  replyInput(execution: string, value: string): void
}
