/** What a notebook view is given by the page that shows it, and what it tells back. */

import type { Awareness } from 'y-protocols/awareness'
import type { YNotebook } from '@jupyter/ydoc'

import type { KernelAssist } from '../editor/kernelAssist'
import type { RunStore } from '../kernel/runStore'
import type { KernelAction } from './cellCommands'
import type { CellClipboard } from './cellClipboard'
import type { CellView } from './cellView'
import type { WidgetViews } from './outputs'
import type { Mode } from './selection'

export interface NotebookViewOptions {
  notebook: YNotebook
  awareness: Awareness
  readOnly: boolean
  /** Called when the selected cell or the mode changes. */
  onSelection?: (cell: CellView | null, mode: Mode) => void
  /** A person navigated themselves (follow mode stops). */
  onUserNavigation?: () => void
  onHelp?: () => void
  /** Tells the person something briefly (e.g. that viewers cannot edit). */
  notify?: (message: string) => void
  /** The runs in the document (pairbook's `executions` map). */
  runs: RunStore
  /** Run these code cells in the shared kernel (not called for viewers). */
  onRun?: (cellIds: string[]) => void
  /** Run above / below the cell, interrupt or restart the kernel (not called for viewers). */
  onKernelAction?: (action: KernelAction, cellId: string | null) => void
  /** Answer an input() prompt. */
  onInputReply?: (execution: string, value: string) => void
  /** The replay: runs' times are told relative to this moment (seconds since the epoch)
   * rather than to now. */
  moment?: () => number
  /** While read-only (a viewer, or locked in mob mode): a key typed into an editor, or a
   * run asked for. */
  onLockedInput?: (cell: CellView | null, input: LockedInput) => void
  /** The shared kernel's completion and help in the editors. */
  assist?: KernelAssist
  /** The room's shared widgets: draws widget view outputs, locked while editing is. */
  widgets?: WidgetViews & { setReadOnly(readOnly: boolean): void }
  /** The copied cells (default: this tab's, in sessionStorage). */
  clipboard?: CellClipboard
}

export type LockedInput = { kind: 'key'; key: string; ctrl: boolean; meta: boolean } | { kind: 'run' }
