/** The shared kernel-state view as the server writes it in the `kernel` map: `variables`
 * (name -> summary and provenance), `analysis` (per-cell dataflow, warnings, hidden state)
 * and `packages`. Pure parsing, sorting and wording; no DOM. */

export interface Person {
  id?: string
  name: string
  color?: string
}

export interface Provenance {
  execution: string
  cell: string
  count: number | null
  /** Who ran it. */
  user: Person
  /** Who last edited the cell's source before it ran (null: not known). */
  author: Person | null
  at: number
}

export interface Variable {
  name: string
  type: string
  summary: string
  len?: number
  shape?: number[]
  dtype?: string
  nbytes?: number
  note?: string
  created: Provenance | null
  /** The last run that bound the name (its value may be unchanged). */
  defined: Provenance | null
  changed: Provenance | null
}

export interface CellWarning {
  kind: 'stale' | 'out-of-order' | 'unrun-edit'
  name?: string
  cell?: string | null
  reason?: 'below' | 'edited' | 'deleted'
  by: Person | null
  /** unrun-edit: who ran the cell (its badge names them). */
  ran_by?: Person | null
}

export interface HiddenName {
  name: string
  cell: string | null
  reason: 'deleted' | 'edited' | 'unknown'
  by: Person | null
}

export interface Analysis {
  /** Names in the kernel beyond the ones the view describes (a huge namespace). */
  skipped: number
  cells: Record<string, { reads: string[]; writes: string[] }>
  warnings: Record<string, CellWarning[]>
  hidden: HiddenName[]
}

export interface Package {
  name: string
  version?: string
  modules: string[]
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function person(value: unknown): Person | null {
  return isObject(value) && typeof value.name === 'string' ? (value as unknown as Person) : null
}

/** One person however the record names them: by id, else by name. */
export function personKey(p: Person): string {
  return p.id ?? `name:${p.name}`
}

function provenance(value: unknown): Provenance | null {
  if (!isObject(value) || typeof value.cell !== 'string') return null
  const user = person(value.user) ?? { name: 'someone' }
  return {
    execution: String(value.execution ?? ''),
    cell: value.cell,
    count: typeof value.count === 'number' ? value.count : null,
    user,
    author: person(value.author),
    at: typeof value.at === 'number' ? value.at : 0
  }
}

export function parseVariables(raw: unknown): Variable[] {
  if (!isObject(raw)) return []
  const out: Variable[] = []
  for (const [name, value] of Object.entries(raw)) {
    if (!isObject(value)) continue
    out.push({
      name,
      type: typeof value.type === 'string' ? value.type : '?',
      summary: typeof value.summary === 'string' ? value.summary : '',
      len: typeof value.len === 'number' ? value.len : undefined,
      shape: Array.isArray(value.shape) ? value.shape.map(Number) : undefined,
      dtype: typeof value.dtype === 'string' ? value.dtype : undefined,
      nbytes: typeof value.nbytes === 'number' ? value.nbytes : undefined,
      note: typeof value.note === 'string' ? value.note : undefined,
      created: provenance(value.created),
      defined: provenance(value.defined) ?? provenance(value.created),
      changed: provenance(value.changed)
    })
  }
  return out
}

export function parseAnalysis(raw: unknown): Analysis {
  const empty: Analysis = { skipped: 0, cells: {}, warnings: {}, hidden: [] }
  if (!isObject(raw)) return empty
  const warnings: Record<string, CellWarning[]> = {}
  if (isObject(raw.warnings)) {
    for (const [cell, list] of Object.entries(raw.warnings)) {
      if (Array.isArray(list)) warnings[cell] = list.filter(isObject).map((w) => ({ ...w, by: person(w.by) }) as unknown as CellWarning)
    }
  }
  const hidden = Array.isArray(raw.hidden) ? raw.hidden.filter(isObject).map((h) => ({ ...h, by: person(h.by) }) as unknown as HiddenName) : []
  const cells = isObject(raw.cells) ? (raw.cells as Analysis['cells']) : {}
  return { skipped: typeof raw.skipped === 'number' ? raw.skipped : 0, cells, warnings, hidden }
}

export function parsePackages(raw: unknown): Package[] {
  if (!Array.isArray(raw)) return []
  return raw.filter(isObject).filter((p) => typeof p.name === 'string').map((p) => ({
    name: String(p.name),
    version: typeof p.version === 'string' ? p.version : undefined,
    modules: Array.isArray(p.modules) ? p.modules.map(String) : []
  }))
}

export type SortKey = 'name' | 'type' | 'summary' | 'defined' | 'changed'

/** Sorted copy; `defined` sorts by cell position (via `position`), `changed` by time. */
export function sortVariables(list: readonly Variable[], key: SortKey, ascending: boolean, position: (cell: string) => number): Variable[] {
  const value = (v: Variable): string | number => {
    switch (key) {
      case 'name': return v.name.toLowerCase()
      case 'type': return v.type.toLowerCase()
      case 'summary': return v.summary.toLowerCase()
      case 'defined': return v.defined === null ? Number.MAX_SAFE_INTEGER : position(v.defined.cell)
      case 'changed': return v.changed?.at ?? 0
    }
  }
  const sign = ascending ? 1 : -1
  return [...list].sort((a, b) => {
    const x = value(a)
    const y = value(b)
    if (x < y) return -sign
    if (x > y) return sign
    return a.name.localeCompare(b.name)
  })
}

/** "3×4 · float32 · 48 B", "len 3", or '' (without what the summary already says). */
export function sizeText(v: Variable): string {
  const parts: string[] = []
  const shape = v.shape === undefined ? undefined : v.shape.length === 0 ? 'scalar' : v.shape.join('×')
  if (shape !== undefined && !v.summary.includes(shape)) parts.push(shape)
  if (v.dtype !== undefined && !v.summary.includes(v.dtype)) parts.push(v.dtype)
  if (v.len !== undefined && v.shape === undefined) parts.push(`len ${v.len}`)
  if (v.nbytes !== undefined) parts.push(bytesText(v.nbytes))
  return parts.join(' · ')
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

const by = (p: Person | null): string => (p === null ? '' : ` by ${p.name}`)

/** The sentence on a cell's badge. `describe` names a cell as a reader sees it ("cell 3"). */
export function warningText(w: CellWarning, describe: (cell: string) => string): string {
  if (w.kind === 'unrun-edit') return `Edited${by(w.by)} since ${w.ran_by?.name ?? 'someone'} ran it: its output is from the old source`
  const where = w.cell ? describe(w.cell) : 'code run outside any cell'
  if (w.kind === 'stale') return `Stale: ${w.name} was changed in ${where}${by(w.by)} after this ran`
  if (w.reason === 'below') return `Out of order: uses ${w.name} from ${where}, below this cell`
  if (w.reason === 'deleted') return `Out of order: uses ${w.name} from a cell deleted${by(w.by)}`
  return `Out of order: uses ${w.name} from ${where}, edited${by(w.by)} since`
}

export function hiddenText(h: HiddenName, describe: (cell: string) => string): string {
  if (h.reason === 'deleted') return `${h.name}: its cell was deleted${by(h.by)}`
  if (h.reason === 'edited') return `${h.name}: ${h.cell ? describe(h.cell) : 'its cell'} was edited${by(h.by)} and no longer defines it`
  return `${h.name}: made outside any cell run`
}

/** What each cell's badges say after an analysis, by cell id: its warnings, then the hidden
 * names its runs left. An edit's warning names who edited only when that is not who ran it
 * (the run badge already says "edited since"). */
export function cellWarnings(analysis: Analysis, describe: (cell: string) => string): Map<string, { kind: string; text: string }[]> {
  const byCell = new Map<string, { kind: string; text: string }[]>()
  for (const [cell, warnings] of Object.entries(analysis.warnings)) {
    const shown = warnings.filter((w) => w.kind !== 'unrun-edit' || (w.by !== null && w.ran_by != null && w.by.id !== w.ran_by.id))
    byCell.set(cell, shown.map((w) => ({ kind: w.kind, text: warningText(w, describe) })))
  }
  for (const entry of analysis.hidden) {
    if (entry.cell === null) continue
    byCell.set(entry.cell, [...(byCell.get(entry.cell) ?? []), { kind: 'hidden', text: `Hidden state: ${hiddenText(entry, describe)}` }])
  }
  return byCell
}
