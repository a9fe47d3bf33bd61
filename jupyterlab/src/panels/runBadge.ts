/** Who ran each cell, for JupyterLab's cell footers: pairbook's `executions` and `kernel`
 * maps (their JSON) in, one badge per cell out. The wording and the choice of run are the
 * browser client's (client/src/kernel/runs.ts), so both say the same. Pure. */

import { fromGoneKernel, GONE } from '../../../client/src/kernel/kernels'
import {
  badgeRecord,
  badgeText,
  cellRuns,
  editedSince,
  type ExecutionRecord,
  type ExecutionStatus,
  isExecutionRecord,
  kernelRecord,
  type KernelRecord,
  sourceHash
} from '../../../client/src/kernel/runs'

export { sourceHash }
import { isColor } from '../../../client/src/panels/presence'

/** A cell's badge: what it says, in whose color, about which run. */
export interface BadgeView {
  text: string
  /** The runner's color (a safe `#rgb`/`#rrggbb`), or the server's grey. */
  color: string
  status: ExecutionStatus
  /** The runner's name, as the badge names them. */
  runBy: string
  /** The source changed since this run. */
  edited: boolean
  /** The run came from a kernel that is gone (stopped, or restarted since). */
  gone: boolean
}

/** The runs the document holds, by cell; built once per change of either map. */
export interface RunIndex {
  kernel: KernelRecord
  byCell: Map<string, ExecutionRecord[]>
}

const GREY = '#8a93a6'

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Indexes the `executions` map's records and the `kernel` map's queue and current run (a
 * queued run is only there) by cell. Anything that is not a run record is skipped. */
export function indexRuns(executions: unknown, kernel: unknown): RunIndex {
  const record = kernelRecord(isObject(kernel) ? kernel : {})
  const all: ExecutionRecord[] = isObject(executions) ? Object.values(executions).filter(isExecutionRecord) : []
  if (record.current !== null) all.push(record.current)
  all.push(...record.queue)
  const grouped = new Map<string, ExecutionRecord[]>()
  for (const run of all) {
    const list = grouped.get(run.cell_id)
    if (list === undefined) grouped.set(run.cell_id, [run])
    else list.push(run)
  }
  const byCell = new Map<string, ExecutionRecord[]>()
  for (const [cell, runs] of grouped) byCell.set(cell, cellRuns(runs, cell))
  return { kernel: record, byCell }
}

/** The badge of one cell at `now` (seconds since the epoch, server time), or null when
 * nobody ran it. `hash` gives the cell's current source's `sourceHash`, asked only when the
 * run has one to compare with (a caller keeps it per cell: hashing every cell's source on
 * every keystroke would be wasted). */
export function badgeView(index: RunIndex, cellId: string, hash: () => string, now: number): BadgeView | null {
  const record = badgeRecord(index.byCell.get(cellId) ?? [])
  if (record === null) return null
  const edited = typeof record.source_hash === 'string' && record.source_hash !== '' && editedSince(record, hash())
  const gone = fromGoneKernel(record, index.kernel)
  const color = record.user.color !== undefined && isColor(record.user.color) ? record.user.color : GREY
  return {
    text: badgeText(record, now, edited) + (gone ? ` · ${GONE}` : ''),
    color,
    status: record.status,
    runBy: record.user.name,
    edited,
    gone
  }
}
