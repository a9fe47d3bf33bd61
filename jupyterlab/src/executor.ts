/** Runs in a pairbook notebook go to the room's kernel: the executor sends pairbook's `run`
 * command (docs/protocol.md) instead of talking to a local kernel, and the outputs arrive
 * through the shared document as for every other peer. Other notebooks run as JupyterLab
 * always runs them. */

import type { YNotebook } from '@jupyter/ydoc'
import { showErrorMessage } from '@jupyterlab/apputils'
import type { MarkdownCell } from '@jupyterlab/cells'
import { runCell, type INotebookCellExecutor } from '@jupyterlab/notebook'

import type { RoomConnection } from './room'
import { waitForRuns } from './runs'
import type { PairbookSession } from './session'

export class RoomCellExecutor implements INotebookCellExecutor {
  /** The joined room, told by the extension's main plugin (which needs the notebook tracker,
   * which needs this executor: so the executor cannot require the room's token). */
  session: () => PairbookSession | null = () => null

  async runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const doc = (options.notebook.sharedModel as YNotebook).ydoc
    const room = this.session()?.roomOf(doc)
    if (room === undefined) return runCell(options)
    const { cell, onCellExecuted, onCellExecutionScheduled } = options
    if (cell.model.type === 'markdown') {
      ;(cell as MarkdownCell).rendered = true
      cell.inputHidden = false
      onCellExecuted({ cell, success: true })
      return true
    }
    if (cell.model.type !== 'code') return true
    onCellExecutionScheduled({ cell })
    const ok = await runInRoom(room, cell.model.sharedModel.getId())
    onCellExecuted({ cell, success: ok })
    return ok
  }
}

/** Asks the room to run one cell and waits for its run to end: true if it ended `ok`. A
 * refusal (a viewer, a navigator in mob mode, no connection) is shown and is false. */
export async function runInRoom(room: RoomConnection, cellId: string): Promise<boolean> {
  const reply = await room.command('run', { cells: [cellId] })
  if (!reply.ok) {
    void showErrorMessage('pairbook did not run the cell', reply.error ?? 'refused')
    return false
  }
  const queued = (reply.result as { queued?: unknown } | undefined)?.queued
  const ids = Array.isArray(queued) ? queued.filter((id): id is string => typeof id === 'string') : []
  if (ids.length === 0) return true
  return waitForRuns(room.options.doc, ids, room.closed)
}
