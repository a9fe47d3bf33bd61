/** The notebook-wide find and replace (editor/notebookSearch) over this page's cells: where
 * a search starts, how replacements are written, and where the keyboard goes on closing. */

import type { YNotebook } from '@jupyter/ydoc'

import { NotebookSearch } from '../editor/notebookSearch'
import type { CellList } from './cellList'
import type { CellSelection } from './selection'

export interface SearchedNotebook {
  notebook: YNotebook
  cells: CellList
  view: { readonly readOnly: boolean }
  /** The person's selection (asked for lazily: it is built after the search's bar). */
  selection: () => CellSelection
  /** Shows a cell a collapsed heading hides: a match is shown in it. */
  reveal: (id: string) => void
}

export function searchCells({ notebook, cells, view, selection, reveal }: SearchedNotebook): NotebookSearch {
  return new NotebookSearch({
    cells: () =>
      cells.all.map((cell) => ({
        id: cell.id,
        ysource: cell.ysource,
        showRange: (from: number, to: number) => {
          reveal(cell.id)
          cell.showRange(from, to)
        }
      })),
    get readOnly() {
      return view.readOnly
    },
    transact: (edit) => {
      // All replacements are one undo step of this person's.
      notebook.undoManager.stopCapturing()
      notebook.transact(edit)
      notebook.undoManager.stopCapturing()
    },
    position: () => {
      const cell = selection().active
      // In command mode the search starts at the selected cell's top; in edit mode, at the cursor.
      const offset = cell !== null && selection().mode === 'edit' ? cell.cursorOffset() : 0
      return { cell: cell === null ? 0 : cells.indexOf(cell), offset }
    },
    closed: (cellId) => {
      const cell = (cellId === null ? null : cells.cellById(cellId)) ?? selection().active
      if (cell === null) return
      if (cellId !== null && cell.type === 'code') {
        selection().select(cell, 'edit')
        cell.enterEdit()
      } else {
        selection().select(cell, 'command')
        cell.element.focus({ preventScroll: true })
      }
    }
  })
}
