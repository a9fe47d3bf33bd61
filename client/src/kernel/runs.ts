/** Runs and the kernel as pairbook's server writes them into the document, and how they read
 * to people ("run by Ana · 2 min ago · [7]"). Pure: no DOM, no Yjs. */

export type ExecutionStatus = 'queued' | 'running' | 'waiting-input' | 'ok' | 'error' | 'interrupted' | 'cancelled' | 'dead'

export interface RunUser {
  id: string
  name: string
  color?: string
}

/** One run of one cell (the `executions` map's values, and `metadata.pairbook.last_run`). */
export interface ExecutionRecord {
  id: string
  cell_id: string
  user: RunUser
  status: ExecutionStatus
  queued_at: number | null
  started_at: number | null
  finished_at: number | null
  execution_count: number | null
  source_hash: string | null
  error?: string | null
  prompt?: string
  cancelled_by?: string
  /** The id of the batch's first run, when one request queued several cells (run all...). */
  batch?: string
  /** The run whose failure stopped this run's batch (this one was cancelled, never ran). */
  stopped_by?: string
}

export type KernelStatus = 'not started' | 'starting' | 'idle' | 'busy' | 'restarting' | 'stopped' | 'dead'

/** Why and when the kernel stopped (`KernelStopRecord` in pairbook/schema.py). */
export interface KernelStop {
  reason: string
  by: RunUser | null
  at: number | null
  idle_for: number | null
}

export interface KernelEvent {
  kind: string
  by: { id: string; name: string }
  at: number
}

/** The last batch that stopped at a failing run (`StoppedBatchRecord` in pairbook/schema.py). */
export interface StoppedBatch {
  batch: string
  by: RunUser
  execution: string
  cell_id: string
  status: string
  ename: string | null
  cancelled: string[]
  still_queued: number
  at: number
}

/** The `kernel` map (`KernelRecord` in pairbook/schema.py; not the kernel-state view). */
export interface KernelRecord {
  name: string | null
  display_name: string | null
  status: KernelStatus
  queue: ExecutionRecord[]
  current: ExecutionRecord | null
  last_event: KernelEvent | null
  stopped_batch: StoppedBatch | null
  /** Why and when the last kernel stopped (with status `stopped`). */
  stopped: KernelStop | null
  /** When the current kernel started: runs that finished before it are from a kernel that is gone. */
  started_at: number | null
  /** When the idle cull will stop the kernel (`--cull-idle-after`), if it is near. */
  cull_at: number | null
}

const FINISHED: ReadonlySet<ExecutionStatus> = new Set(['ok', 'error', 'interrupted', 'cancelled', 'dead'])

export function isFinished(record: ExecutionRecord): boolean {
  return FINISHED.has(record.status)
}

export function isActive(record: ExecutionRecord): boolean {
  return record.status === 'queued' || record.status === 'running' || record.status === 'waiting-input'
}

/** Whether a value looks like a run record (documents can hold anything). */
export function isExecutionRecord(value: unknown): value is ExecutionRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  const user = r.user as Record<string, unknown> | null | undefined
  return typeof r.id === 'string' && typeof r.cell_id === 'string' && typeof r.status === 'string' &&
    typeof user === 'object' && user !== null && typeof user.name === 'string'
}

/** The kernel map's contents, with defaults for what is missing. */
export function kernelRecord(raw: Record<string, unknown>): KernelRecord {
  const queue = Array.isArray(raw.queue) ? raw.queue.filter(isExecutionRecord) : []
  const event = raw.last_event as KernelEvent | null | undefined
  return {
    name: typeof raw.name === 'string' ? raw.name : null,
    display_name: typeof raw.display_name === 'string' ? raw.display_name : null,
    status: typeof raw.status === 'string' ? (raw.status as KernelStatus) : 'not started',
    queue,
    current: isExecutionRecord(raw.current) ? raw.current : null,
    last_event: event && typeof event === 'object' && typeof event.kind === 'string' && event.by ? event : null,
    stopped_batch: stoppedBatch(raw.stopped_batch),
    stopped: kernelStop(raw.stopped),
    started_at: typeof raw.started_at === 'number' ? raw.started_at : null,
    cull_at: typeof raw.cull_at === 'number' ? raw.cull_at : null
  }
}

function kernelStop(value: unknown): KernelStop | null {
  if (typeof value !== 'object' || value === null) return null
  const raw = value as Record<string, unknown>
  if (typeof raw.reason !== 'string') return null
  const by = raw.by as RunUser | null | undefined
  return {
    reason: raw.reason,
    by: by && typeof by === 'object' && typeof by.name === 'string' ? by : null,
    at: typeof raw.at === 'number' ? raw.at : null,
    idle_for: typeof raw.idle_for === 'number' ? raw.idle_for : null
  }
}

function stoppedBatch(value: unknown): StoppedBatch | null {
  if (typeof value !== 'object' || value === null) return null
  const r = value as Record<string, unknown>
  const by = r.by as Record<string, unknown> | null | undefined
  const ok = typeof r.batch === 'string' && typeof r.cell_id === 'string' && typeof r.status === 'string' &&
    Array.isArray(r.cancelled) && typeof r.at === 'number' && typeof by === 'object' && by !== null && typeof by.name === 'string'
  if (!ok) return null
  return { ...(value as StoppedBatch), ename: typeof r.ename === 'string' ? r.ename : null, still_queued: typeof r.still_queued === 'number' ? r.still_queued : 0 }
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/** What stopped and what it means: "batch stopped at cell 3 (ValueError): 2 later cells
 * cancelled, not run · 1 other queued run not affected". */
export function stoppedBatchSummary(note: StoppedBatch, describeCell: (id: string) => string): string {
  const between = note.status === 'interrupted' && note.ename === null
  const why = note.status === 'interrupted' ? 'interrupted' : note.ename ?? 'error'
  const cancelled = plural(note.cancelled.length, 'later cell', 'later cells')
  const parts = [`batch stopped ${between ? 'after' : 'at'} ${describeCell(note.cell_id)} (${why}): ${cancelled} cancelled, not run`]
  if (note.still_queued > 0) parts.push(plural(note.still_queued, 'other queued run not affected', 'other queued runs not affected'))
  return parts.join(' · ')
}

/** The kernel panel's note: "Ana’s batch stopped at cell 3 (ValueError): … · just now". */
export function stoppedBatchText(note: StoppedBatch, describeCell: (id: string) => string, now: number): string {
  return `${note.by.name}’s ${stoppedBatchSummary(note, describeCell)} · ${timeAgo(note.at, now)}`
}

/** When a run happened, for sorting: newest first means the largest of these first. */
function when(record: ExecutionRecord): number {
  return record.queued_at ?? record.started_at ?? record.finished_at ?? 0
}

/** All records of one cell, newest first, without duplicates (the map and the metadata
 * may hold the same run). */
export function cellRuns(records: Iterable<ExecutionRecord>, cellId: string): ExecutionRecord[] {
  const byId = new Map<string, ExecutionRecord>()
  for (const record of records) {
    if (record.cell_id !== cellId) continue
    const known = byId.get(record.id)
    // The map's copy is the live one; the metadata's is written when the run finishes.
    if (known === undefined || (!isFinished(known) && isFinished(record))) byId.set(record.id, record)
  }
  return [...byId.values()].sort((a, b) => when(b) - when(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

/** The run a cell's badge is about: an active one if any, else the newest that ran (a run
 * someone cancelled before it started does not hide the one before it; a run cancelled for
 * a reason — its stopped batch, a restart or shutdown of the kernel — does: the cell was
 * meant to run and did not). */
export function badgeRecord(runs: readonly ExecutionRecord[]): ExecutionRecord | null {
  const active = runs.find(isActive)
  if (active !== undefined) return active
  return runs.find((r) => r.status !== 'cancelled' || r.started_at !== null || r.stopped_by !== undefined || Boolean(r.error)) ?? runs[0] ?? null
}

/** What "now" is for a page's times: the present (the live notebook), or the moment a
 * replay shows, whose past is told "2 min before this moment" rather than "2 min ago". */
export type TimeFrame = 'now' | 'moment'

/** "just now", "40 s ago", "2 min ago", "3 h ago", "5 days ago" (in a replay's frame: "at
 * this moment", "40 s before this moment", ...). Seconds since the epoch. */
export function timeAgo(at: number, now: number, frame: TimeFrame = 'now'): string {
  const seconds = Math.max(0, Math.round(now - at))
  const ago = frame === 'now' ? 'ago' : 'before this moment'
  if (seconds < 10) return frame === 'now' ? 'just now' : 'at this moment'
  if (seconds < 60) return `${seconds} s ${ago}`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${ago}`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${ago}`
  return `${Math.floor(hours / 24)} days ${ago}`
}

const OUTCOME: Partial<Record<ExecutionStatus, string>> = {
  error: 'error',
  interrupted: 'interrupted',
  cancelled: 'cancelled',
  dead: 'kernel died'
}

/** The badge's words for a record; `edited` when the cell's source changed since it ran. */
export function badgeText(record: ExecutionRecord, now: number, edited = false, frame: TimeFrame = 'now'): string {
  const name = record.user.name
  switch (record.status) {
    case 'queued':
      return `queued by ${name}`
    case 'running':
      return `running · run by ${name}`
    case 'waiting-input':
      return `waiting for ${name}'s input`
    default: {
      // A run cancelled before it started never ran: say so, not "run by", and why.
      if (record.status === 'cancelled' && record.started_at === null) {
        return record.error ? `queued by ${name} · cancelled: ${record.error}` : `queued by ${name} · cancelled`
      }
      const parts = [`run by ${name}`]
      const at = record.finished_at ?? record.started_at ?? record.queued_at
      if (at !== null) parts.push(timeAgo(at, now, frame))
      if (record.execution_count !== null && record.execution_count !== undefined) parts.push(`[${record.execution_count}]`)
      const outcome = OUTCOME[record.status]
      if (outcome !== undefined) parts.push(outcome)
      // Said last: who ran it is not necessarily who edited it since.
      if (edited) parts.push('edited since')
      return parts.join(' · ')
    }
  }
}

/** Whether the source changed since this run (only runs that recorded a hash can say). */
export function editedSince(record: ExecutionRecord, currentHash: string): boolean {
  return isFinished(record) && typeof record.source_hash === 'string' && record.source_hash !== '' && record.source_hash !== currentHash
}

/** One line of the list of a cell's runs. */
export function describeRun(record: ExecutionRecord, now: number, frame: TimeFrame = 'now'): string {
  const at = record.finished_at ?? record.started_at ?? record.queued_at
  const parts = [record.user.name, record.status]
  if (record.execution_count !== null && record.execution_count !== undefined) parts.push(`[${record.execution_count}]`)
  if (at !== null) parts.push(timeAgo(at, now, frame))
  if (record.started_at !== null && record.finished_at !== null) parts.push(`took ${formatDuration(record.finished_at - record.started_at)}`)
  // Why it failed (the exception's name) or why it never ran (its batch stopped).
  if ((record.status === 'error' || record.status === 'cancelled') && record.error) parts.push(record.error)
  return parts.join(' · ')
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.max(0, Math.round(seconds * 1000))} ms`
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
}

const EVENT_VERB: Record<string, string> = {
  interrupt: 'interrupted',
  restart: 'restarted',
  shutdown: 'shut down',
  'set-kernel': 'switched'
}

/** "restarted by Ana · 2 min ago" */
export function kernelEventText(event: KernelEvent, now: number): string {
  const verb = EVENT_VERB[event.kind] ?? event.kind
  return `${verb} by ${event.by.name} · ${timeAgo(event.at, now)}`
}

export function kernelStatusText(status: KernelStatus): string {
  switch (status) {
    case 'not started':
      return 'Kernel not started'
    case 'starting':
      return 'Kernel starting…'
    case 'restarting':
      return 'Kernel restarting…'
    case 'idle':
      return 'Kernel idle'
    case 'busy':
      return 'Kernel busy'
    case 'stopped':
      return 'Kernel stopped'
    case 'dead':
      return 'Kernel dead'
    default:
      return `Kernel ${String(status)}`
  }
}

/** Whether this person may cancel this queued run: their own, or any as the owner. */
export function canCancel(record: ExecutionRecord, me: { id: string | null; owner: boolean }): boolean {
  return record.status === 'queued' && (me.owner || (me.id !== null && record.user.id === me.id))
}

// SHA-256, synchronous (crypto.subtle is async and missing outside secure contexts) --------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** The SHA-256 digest of `bytes`, as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  const bitLength = bytes.length * 8
  const padded = new Uint8Array(((bytes.length + 9 + 63) >> 6) << 6)
  padded.set(bytes)
  padded[bytes.length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000))
  view.setUint32(padded.length - 4, bitLength >>> 0)
  const hash = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
  const w = new Uint32Array(64)
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4)
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!
      const y = w[i - 2]!
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10)
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0
    }
    let [a, b, c, d, e, f, g, hh] = hash as unknown as number[]
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e!, 6) ^ rotr(e!, 11) ^ rotr(e!, 25)
      const ch = (e! & f!) ^ (~e! & g!)
      const t1 = (hh! + S1 + ch + K[i]! + w[i]!) >>> 0
      const S0 = rotr(a!, 2) ^ rotr(a!, 13) ^ rotr(a!, 22)
      const maj = (a! & b!) ^ (a! & c!) ^ (b! & c!)
      const t2 = (S0 + maj) >>> 0
      hh = g
      g = f
      f = e
      e = (d! + t1) >>> 0
      d = c
      c = b
      b = a
      a = (t1 + t2) >>> 0
    }
    hash[0] = hash[0]! + a!
    hash[1] = hash[1]! + b!
    hash[2] = hash[2]! + c!
    hash[3] = hash[3]! + d!
    hash[4] = hash[4]! + e!
    hash[5] = hash[5]! + f!
    hash[6] = hash[6]! + g!
    hash[7] = hash[7]! + hh!
  }
  return Array.from(hash, (x) => x.toString(16).padStart(8, '0')).join('')
}

const utf8 = new TextEncoder()

/** The server's fingerprint of a cell's source: the first 16 hex digits of its SHA-256. */
export function sourceHash(source: string): string {
  return sha256Hex(utf8.encode(source)).slice(0, 16)
}
