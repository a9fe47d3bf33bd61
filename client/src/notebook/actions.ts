/** The edits a person makes to the notebook's structure, over the Jupyter shared model.
 *
 * Every edit goes through YNotebook's own transactions, whose origin is this browser's
 * YNotebook: the per-user UndoManager tracks that origin (and each editor's), never the
 * provider's, so undo never touches a partner's work.
 */

import type { YNotebook } from '@jupyter/ydoc'
import * as Y from 'yjs'

export type CellType = 'code' | 'markdown' | 'raw'

/** A cell as nbformat writes it (the source as one string): what the cell clipboard holds. */
export interface CellJson {
  id?: string
  cell_type: CellType
  source: string
  metadata: Record<string, unknown>
  outputs?: unknown[]
  execution_count?: number | null
  attachments?: unknown
}

type Json = Record<string, unknown>

/** A new cell's shared map, built from its JSON without reading it before it is in the
 * document: @jupyter/ydoc's own `insertCell`/`moveCell` build the cell model first, whose
 * constructor reads the map and makes Yjs warn "Invalid access" for every new cell. The
 * notebook's observer builds the model once the map is in (as for a partner's cell). The
 * map holds what @jupyter/ydoc's `createCell` puts there. */
function newYCell(cell: CellJson): Y.Map<unknown> {
  const ycell = new Y.Map<unknown>()
  ycell.set('source', new Y.Text(cell.source))
  ycell.set('metadata', new Y.Map<unknown>(Object.entries(cell.metadata)))
  ycell.set('cell_type', cell.cell_type)
  ycell.set('id', cell.id ?? uuid4())
  if (cell.cell_type === 'code') {
    ycell.set('outputs', Y.Array.from((cell.outputs ?? []).map((output) => youtput(output as Json))))
    ycell.set('execution_count', cell.execution_count ?? null)
  } else if (cell.attachments != null) {
    ycell.set('attachments', cell.attachments)
  }
  return ycell
}

/** An output as @jupyter/ydoc keeps it: a map, with a stream's text as a Y.Text. */
function youtput(output: Json): Y.Map<unknown> {
  const copy = structuredClone(output)
  if (copy.output_type === 'stream') copy.text = new Y.Text(Array.isArray(copy.text) ? copy.text.join('') : String(copy.text ?? ''))
  return new Y.Map<unknown>(Object.entries(copy))
}

/** A random cell id in the form nbformat and @jupyter/ydoc use (crypto.randomUUID needs a
 * secure context; a server reached over plain http on the LAN is not one). */
function uuid4(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const sourceOf = (source: string | string[]): string => (typeof source === 'string' ? source : source.join(''))

/** Deletes `remove` cells at `index` and inserts `cells` at `at`, in one transaction of the
 * notebook's (the origin this browser's UndoManager tracks). */
function spliceCells(nb: YNotebook, index: number, remove: number, at: number, cells: CellJson[]): void {
  const ycells = nb.ydoc.getArray<Y.Map<unknown>>('cells')
  nb.transact(() => {
    if (remove > 0) ycells.delete(index, remove)
    ycells.insert(at, cells.map(newYCell))
  })
}

export function insertCell(nb: YNotebook, index: number, type: CellType, source = ''): void {
  const at = Math.max(0, Math.min(index, nb.cells.length))
  spliceCells(nb, at, 0, at, [{ cell_type: type, source, metadata: {} }])
}

export function deleteCell(nb: YNotebook, index: number): void {
  if (index < 0 || index >= nb.cells.length) return
  nb.deleteCell(index)
}

/** Moves the cell at `from` to `to` (clamped); returns where it ended up. */
export function moveCell(nb: YNotebook, from: number, to: number): number {
  return moveCells(nb, from, from, to)
}

/** Moves the cells from `first` to `last` as one block, its first cell to `to` (clamped so
 * the block stays whole), in one transaction: one undo step, one change for the partners.
 * Returns where the block's first cell ended up. */
export function moveCells(nb: YNotebook, first: number, last: number, to: number): number {
  const count = last - first + 1
  if (first < 0 || last >= nb.cells.length || count < 1) return first
  const target = Math.max(0, Math.min(to, nb.cells.length - count))
  if (target === first) return first
  // A move is a delete and an insert of copies under the same ids, as @jupyter/ydoc's
  // moveCells does (Yjs has no move): the outputs and the counts go with the cells.
  const block = Array.from({ length: count }, (_, offset) => copyOf(nb, first + offset))
  spliceCells(nb, first, count, target, block)
  return target
}

/** A markdown heading's level, from JupyterLab's keys 1 to 6. */
export type HeadingLevel = 1 | 2 | 3 | 4 | 5 | 6

/** Makes the cell a markdown heading of `level`, as JupyterLab's keys 1 to 6 do: its
 * leading `#`s (or blanks) give way to `level` of them and a space, in one transaction. A
 * markdown cell's text is edited in place (a partner's typing in it merges); another cell
 * becomes a markdown cell with that text. */
export function setHeading(nb: YNotebook, index: number, level: HeadingLevel): void {
  const cell = nb.getCell(index)
  if (cell === undefined) return
  nb.transact(() => {
    const old = /^(#+\s*)|^(\s*)/.exec(cell.getSource())?.[0] ?? ''
    const header = `${'#'.repeat(level)} `
    if (old !== header) {
      cell.ysource.delete(0, old.length)
      cell.ysource.insert(0, header)
    }
    changeCellType(nb, index, 'markdown')
  })
}

/** Replaces the cell by one of `type` with the same id, source and metadata; a markdown or
 * raw cell's attachments stay when it becomes the other of the two (as in JupyterLab). */
export function changeCellType(nb: YNotebook, index: number, type: CellType): void {
  const cell = nb.getCell(index)
  if (cell === undefined || cell.cell_type === type) return
  const { id, source, metadata, attachments } = copyOf(nb, index)
  spliceCells(nb, index, 1, index, [{ id, source, metadata, cell_type: type, ...(type === 'code' ? {} : { attachments }) }])
}

function copyOf(nb: YNotebook, index: number): CellJson {
  const json = nb.getCell(index).toJSON() as unknown as Json
  return {
    ...json,
    cell_type: json.cell_type as CellType,
    source: sourceOf(json.source as string | string[]),
    metadata: { ...(json.metadata as Json) }
  }
}

/** The cells from `first` to `last` as JupyterLab copies them: type, source, metadata,
 * outputs, execution count and attachments; their ids are not kept (a paste gives new ones). */
export function copyCells(nb: YNotebook, first: number, last: number): CellJson[] {
  const cells: CellJson[] = []
  for (let index = Math.max(0, first); index <= Math.min(last, nb.cells.length - 1); index++) {
    const { id: _id, ...cell } = copyOf(nb, index)
    cells.push(structuredClone(cell))
  }
  return cells
}

/** Inserts the cells at `index` under new ids (pasted twice, they are two sets of cells). */
export function pasteCells(nb: YNotebook, index: number, cells: readonly CellJson[]): void {
  const at = Math.max(0, Math.min(index, nb.cells.length))
  spliceCells(nb, at, 0, at, cells.map(({ id: _id, ...cell }) => structuredClone(cell)))
}

/** Deletes the cells from `first` to `last`, in one transaction. */
export function deleteCells(nb: YNotebook, first: number, last: number): void {
  const from = Math.max(0, first)
  const count = Math.min(last, nb.cells.length - 1) - from + 1
  if (count > 0) spliceCells(nb, from, count, from, [])
}

/** Merges the cells from `first` to `last` into one at `first`, as JupyterLab does: their
 * sources joined by a blank line, with the type and metadata of the cell at `primary`, and no
 * outputs. It keeps that cell's id, so whoever has it selected (this person) stays on it. */
export function mergeCells(nb: YNotebook, first: number, last: number, primary: number): void {
  if (first < 0 || last >= nb.cells.length || last <= first || primary < first || primary > last) return
  const cells = Array.from({ length: last - first + 1 }, (_, offset) => copyOf(nb, first + offset))
  const { id, cell_type, metadata } = cells[primary - first]!
  const attachments = Object.assign({}, ...cells.map((cell) => (cell.attachments ?? {}) as Json)) as Json
  const merged: CellJson = { id, cell_type, metadata, source: cells.map((cell) => cell.source).join('\n\n') }
  if (cell_type !== 'code' && Object.keys(attachments).length > 0) merged.attachments = attachments
  spliceCells(nb, first, cells.length, first, [merged])
}

/** Where a source is cut for a split at these cursors and selections (offsets, sorted):
 * each cursor cuts once, each selection twice, as JupyterLab's "Split Cell". */
export function splitOffsets(length: number, ranges: ReadonlyArray<{ from: number; to: number }>): number[] {
  const cuts = ranges.flatMap(({ from, to }) => (from === to ? [from] : [Math.min(from, to), Math.max(from, to)]))
  return [0, ...cuts.map((cut) => Math.max(0, Math.min(cut, length))), length]
}

/** Splits the cell at `index` at the cursors and selections, as JupyterLab does: each piece
 * without its leading and trailing blank lines, the cell's type and metadata on every piece,
 * its outputs (and id) on the last. Returns the index of the piece to select: the last, or
 * the last selection's when the last range selects text. */
export function splitCell(nb: YNotebook, index: number, ranges: ReadonlyArray<{ from: number; to: number }>): number {
  if (index < 0 || index >= nb.cells.length || ranges.length === 0) return index
  const cell = copyOf(nb, index)
  const offsets = splitOffsets(cell.source.length, ranges)
  const pieces = offsets.slice(0, -1).map((offset, at): CellJson => {
    const last = at === offsets.length - 2
    const source = cell.source.slice(offset, offsets[at + 1]).replace(/^\n+/, '').replace(/\n+$/, '')
    const piece: CellJson = { cell_type: cell.cell_type, metadata: structuredClone(cell.metadata), source }
    return last ? { ...cell, source } : piece
  })
  spliceCells(nb, index, 1, index, pieces)
  const lastRange = ranges[ranges.length - 1]!
  return index + pieces.length - (lastRange.from !== lastRange.to ? 2 : 1)
}

/** Clears the outputs and execution counts of the code cells from `first` to `last`, as
 * JupyterLab's Clear Outputs does, in one transaction of the notebook's: one edit for the
 * partners (attributed to this person, refused by the server from whoever may not edit) and
 * one undo step of this person's. Returns the ids of the cells that had something to clear. */
export function clearOutputs(nb: YNotebook, first: number, last: number): string[] {
  const cleared: string[] = []
  nb.transact(() => {
    for (let index = Math.max(0, first); index <= Math.min(last, nb.cells.length - 1); index++) {
      const ycell = nb.getCell(index).ymodel
      const youtputs = ycell.get('outputs')
      if (ycell.get('cell_type') !== 'code' || !(youtputs instanceof Y.Array)) continue
      const count = ycell.get('execution_count')
      if (youtputs.length === 0 && (count === null || count === undefined)) continue
      if (youtputs.length > 0) youtputs.delete(0, youtputs.length)
      if (count !== null && count !== undefined) ycell.set('execution_count', null)
      cleared.push(String(ycell.get('id')))
    }
  })
  return cleared
}

/** The index of the cell with this id, or -1. */
export function indexOfCell(nb: YNotebook, id: string): number {
  return nb.cells.findIndex((cell) => cell.id === id)
}
