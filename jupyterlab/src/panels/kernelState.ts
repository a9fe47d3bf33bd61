/** The kernel-state panel's view for JupyterLab: pairbook's `kernel` map (its JSON) in,
 * the rows the panel draws out — each name with its type and value, the cell that defined
 * it and the person who ran it (and who wrote it, when someone else did) — plus the hidden
 * state and the imported packages. Parsing and wording are the browser client's
 * (client/src/state/kernelView.ts). Pure. */

import {
  hiddenText,
  parseAnalysis,
  parsePackages,
  parseVariables,
  type Person,
  personKey,
  sizeText,
  sortVariables,
  type Variable
} from '../../../client/src/state/kernelView'
import { isColor } from '../../../client/src/panels/presence'

/** A person as a row shows them: a name and a safe color. */
export interface PersonView {
  name: string
  color: string
}

export interface VariableRow {
  name: string
  /** The type's last dotted part ("DataFrame"); `fullType` is the whole. */
  type: string
  fullType: string
  summary: string
  /** "3×4 · float32 · 48 B", or ''. */
  size: string
  /** The cell that defined it (null: not known) and how a reader names it ("cell 3"). */
  cell: string | null
  where: string
  /** Who ran the defining cell; `wroteBy` when someone else wrote its source. */
  ranBy: PersonView | null
  wroteBy: PersonView | null
  /** Who last changed the value, when that run is known. */
  changedBy: PersonView | null
}

export interface KernelStateView {
  /** "(3)", or "(300 shown of 1,200)" for a namespace the server cut short. */
  count: string
  rows: VariableRow[]
  /** Lines about names in the kernel that no current cell defines. */
  hidden: string[]
  /** "numpy 2.1.0, pandas 2.2.3", or '' when nothing third-party was imported. */
  packages: string
}

/** How the panel names a cell and orders cells. */
export interface CellPlaces {
  /** "cell 3", or "a deleted cell". */
  describe: (id: string) => string
  /** The cell's position (deleted cells last). */
  position: (id: string) => number
}

/** Rows drawn at most, as in the browser client's panel. */
export const MAX_ROWS = 300

const GREY = '#8a93a6'

function personView(person: Person | null): PersonView | null {
  if (person === null) return null
  return { name: person.name, color: person.color !== undefined && isColor(person.color) ? person.color : GREY }
}

/** Names a cell by its place among `cellIds` (the notebook's order): "cell 3". */
export function cellPlaces(cellIds: readonly string[]): CellPlaces {
  const index = new Map(cellIds.map((id, i) => [id, i]))
  return {
    describe: (id) => {
      const at = index.get(id)
      return at === undefined ? 'a deleted cell' : `cell ${at + 1}`
    },
    position: (id) => index.get(id) ?? Number.MAX_SAFE_INTEGER
  }
}

function row(v: Variable, places: CellPlaces): VariableRow {
  const defined = v.defined
  const author = defined?.author ?? null
  const otherAuthor = defined !== null && author !== null && author.name !== '' && personKey(author) !== personKey(defined.user)
  return {
    name: v.name,
    type: v.type.split('.').pop() ?? v.type,
    fullType: v.type,
    summary: v.summary,
    size: sizeText(v),
    cell: defined?.cell ?? null,
    where: defined === null ? 'unknown' : places.describe(defined.cell),
    ranBy: personView(defined?.user ?? null),
    wroteBy: otherAuthor ? personView(author) : null,
    changedBy: personView(v.changed?.user ?? null)
  }
}

/** The panel's view of the `kernel` map's JSON, names in the notebook's order of the cells
 * that defined them, filtered by `filter` (a part of a name or type). */
export function kernelStateView(kernel: unknown, places: CellPlaces, filter = ''): KernelStateView {
  const map = typeof kernel === 'object' && kernel !== null ? (kernel as Record<string, unknown>) : {}
  const variables = parseVariables(map.variables)
  const analysis = parseAnalysis(map.analysis)
  const wanted = filter.trim().toLowerCase()
  const shown = wanted === '' ? variables : variables.filter((v) => v.name.toLowerCase().includes(wanted) || v.type.toLowerCase().includes(wanted))
  const rows = sortVariables(shown, 'defined', true, places.position).slice(0, MAX_ROWS).map((v) => row(v, places))
  const total = variables.length + analysis.skipped
  const count = analysis.skipped > 0 ? `(${variables.length.toLocaleString('en')} shown of ${total.toLocaleString('en')})` : `(${variables.length})`
  const packages = parsePackages(map.packages).map((p) => (p.version ? `${p.name} ${p.version}` : p.name)).join(', ')
  return { count, rows, hidden: analysis.hidden.map((h) => hiddenText(h, places.describe)), packages }
}
