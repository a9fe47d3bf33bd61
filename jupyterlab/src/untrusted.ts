/** No room makes JupyterLab trust an output. JupyterLab renders a cell's outputs *trusted*
 * (HTML with its scripts and handlers, JavaScript) when the cell's shared metadata says
 * `trusted: true` as its model is built — metadata any editor of the room writes, and that
 * JupyterLab writes itself for every cell its user creates or runs. In JupyterLab's origin
 * such a script reaches the person's own Jupyter server and their pairbook token, so a room
 * notebook's cells never read `trusted` from the room: their outputs render untrusted
 * (sanitized HTML, no JavaScript), as pairbook's own page never runs them
 * (docs/security.md). Nothing is written to the room. */

import type { ISharedCell, NotebookChange, YNotebook } from '@jupyter/ydoc'

const TRUSTED = 'trusted'
const HIDDEN = new WeakSet<ISharedCell>()

/** Hides `metadata.trusted` of every cell of `notebook`, now and inserted later. Connect it
 * before JupyterLab's notebook model is built on the notebook: the model builds each cell's
 * model from the same change, after this (Lumino calls slots in connection order). */
export function neverTrusted(notebook: YNotebook): void {
  notebook.cells.forEach(hideTrust)
  notebook.changed.connect((_notebook: YNotebook, change: NotebookChange) => {
    for (const delta of change.cellsChange ?? []) delta.insert?.forEach(hideTrust)
  })
}

/** The cell answers `getMetadata('trusted')` with undefined; every other key as before. */
export function hideTrust(cell: ISharedCell): void {
  if (HIDDEN.has(cell)) return
  HIDDEN.add(cell)
  const read = cell.getMetadata.bind(cell) as (key?: string) => unknown
  const hidden = (key?: string): unknown => (key === TRUSTED ? undefined : read(key))
  Object.defineProperty(cell, 'getMetadata', { value: hidden, configurable: true, writable: true })
}
