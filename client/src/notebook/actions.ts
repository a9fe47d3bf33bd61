/** The edits a person makes to the notebook's structure, over the Jupyter shared model.
 *
 * Every edit goes through YNotebook's own transactions, whose origin is this browser's
 * YNotebook: the per-user UndoManager tracks that origin (and each editor's), never the
 * provider's, so undo never touches a partner's work.
 */

import type { YNotebook } from '@jupyter/ydoc'

export type CellType = 'code' | 'markdown' | 'raw'

export function insertCell(nb: YNotebook, index: number, type: CellType, source = ''): void {
  const at = Math.max(0, Math.min(index, nb.cells.length))
  if (type === 'code') {
    nb.insertCell(at, { cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })
  } else {
    nb.insertCell(at, { cell_type: type, source, metadata: {} })
  }
}

export function deleteCell(nb: YNotebook, index: number): void {
  if (index < 0 || index >= nb.cells.length) return
  nb.deleteCell(index)
}

/** Moves the cell at `from` to `to` (clamped); returns where it ended up. */
export function moveCell(nb: YNotebook, from: number, to: number): number {
  const last = nb.cells.length - 1
  const target = Math.max(0, Math.min(to, last))
  if (from < 0 || from > last || target === from) return from
  nb.moveCell(from, target)
  return target
}

/** Replaces the cell by one of `type` with the same id, source and metadata. */
export function changeCellType(nb: YNotebook, index: number, type: CellType): void {
  const cell = nb.getCell(index)
  if (cell === undefined || cell.cell_type === type) return
  const json = cell.toJSON()
  nb.transact(() => {
    nb.deleteCell(index)
    const base = { id: json.id, source: json.source, metadata: json.metadata }
    if (type === 'code') {
      nb.insertCell(index, { ...base, cell_type: 'code', outputs: [], execution_count: null })
    } else {
      nb.insertCell(index, { ...base, cell_type: type })
    }
  })
}

/** The index of the cell with this id, or -1. */
export function indexOfCell(nb: YNotebook, id: string): number {
  return nb.cells.findIndex((cell) => cell.id === id)
}
