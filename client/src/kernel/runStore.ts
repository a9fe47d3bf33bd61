/** The runs and the kernel state in the shared document (pairbook's `executions` and
 * `kernel` maps, written only by the server), indexed by cell, with change notifications. */

import * as Y from 'yjs'

import { fromGoneKernel, kernelGone } from './kernels'
import { cellRuns, isExecutionRecord, type KernelRecord, kernelRecord, type ExecutionRecord } from './runs'
import { DocMap } from '../schema'

const plain = (value: unknown): unknown => (value instanceof Y.AbstractType ? value.toJSON() : value)

const KERNEL_STATE_KEYS = new Set(['variables', 'analysis', 'packages'])

export class RunStore {
  private readonly executions: Y.Map<unknown>
  private readonly kernel: Y.Map<unknown>
  private byCell = new Map<string, Map<string, ExecutionRecord>>()
  /** Queued and running records from the kernel map (queued runs are only there). */
  private inFlight = new Map<string, ExecutionRecord[]>()
  private readonly cellListeners = new Set<(cells: Set<string>) => void>()
  private readonly kernelListeners = new Set<(state: KernelRecord) => void>()
  private kernelNow: KernelRecord

  constructor(doc: Y.Doc) {
    this.executions = doc.getMap(DocMap.EXECUTIONS_MAP)
    this.kernel = doc.getMap(DocMap.KERNEL_MAP)
    this.executions.forEach((value) => this.index(plain(value)))
    this.executions.observe((event) => {
      const cells = new Set<string>()
      for (const key of event.keysChanged) {
        const old = event.changes.keys.get(key)?.oldValue
        const oldRecord = plain(old)
        if (isExecutionRecord(oldRecord)) {
          this.byCell.get(oldRecord.cell_id)?.delete(key)
          cells.add(oldRecord.cell_id)
        }
        const record = plain(this.executions.get(key))
        if (this.index(record)) cells.add((record as ExecutionRecord).cell_id)
      }
      if (cells.size > 0) for (const listener of this.cellListeners) listener(cells)
    })
    this.kernelNow = this.kernelRecord
    this.inFlight = this.inFlightOf(this.kernelNow)
    this.kernel.observe(() => {
      const state = this.kernelRecord
      const before = this.inFlight
      const was = this.kernelNow
      this.kernelNow = state
      this.inFlight = this.inFlightOf(state)
      const cells = new Set<string>()
      // A kernel that stopped or started: every badge may now be from a kernel that is gone.
      if (kernelGone(was) !== kernelGone(state) || was.started_at !== state.started_at) for (const cell of this.byCell.keys()) cells.add(cell)
      for (const [cell, records] of this.inFlight) {
        if (JSON.stringify(records) !== JSON.stringify(before.get(cell))) cells.add(cell)
      }
      for (const cell of before.keys()) if (!this.inFlight.has(cell)) cells.add(cell)
      if (cells.size > 0) for (const listener of this.cellListeners) listener(cells)
      for (const listener of this.kernelListeners) listener(state)
    })
  }

  get kernelRecord(): KernelRecord {
    const raw: Record<string, unknown> = {}
    this.kernel.forEach((value, key) => {
      // The kernel-state view (possibly thousands of names) has its own panel.
      if (!KERNEL_STATE_KEYS.has(key)) raw[key] = plain(value)
    })
    return kernelRecord(raw)
  }

  /** The runs of a cell, newest first: only the server's records (the `executions` and
   * `kernel` maps). The cell's `metadata.pairbook.last_run` is never shown as who ran it:
   * the cell is editable, so anyone who can type could write a run by someone else there. */
  cellRuns(cellId: string): ExecutionRecord[] {
    const records = [...(this.byCell.get(cellId)?.values() ?? []), ...(this.inFlight.get(cellId) ?? [])]
    return cellRuns(records, cellId)
  }

  /** Whether this finished run came from a kernel that is gone (stopped, or restarted since). */
  fromGoneKernel(record: ExecutionRecord): boolean {
    return fromGoneKernel(record, this.kernelNow)
  }

  /** Calls `listener` with the ids of cells whose runs changed. */
  onCells(listener: (cells: Set<string>) => void): () => void {
    this.cellListeners.add(listener)
    return () => this.cellListeners.delete(listener)
  }

  /** Calls `listener` now and whenever the kernel map changes. */
  onKernel(listener: (state: KernelRecord) => void): () => void {
    this.kernelListeners.add(listener)
    listener(this.kernelRecord)
    return () => this.kernelListeners.delete(listener)
  }

  private inFlightOf(state: KernelRecord): Map<string, ExecutionRecord[]> {
    const byCell = new Map<string, ExecutionRecord[]>()
    for (const record of state.current === null ? state.queue : [state.current, ...state.queue]) {
      const list = byCell.get(record.cell_id)
      if (list === undefined) byCell.set(record.cell_id, [record])
      else list.push(record)
    }
    return byCell
  }

  private index(value: unknown): boolean {
    if (!isExecutionRecord(value)) return false
    let runs = this.byCell.get(value.cell_id)
    if (runs === undefined) this.byCell.set(value.cell_id, (runs = new Map()))
    runs.set(value.id, value)
    return true
  }
}
