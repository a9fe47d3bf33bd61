/** Jupyter's edit-mode keys, given to every cell editor at the highest precedence: Escape
 * back to command mode, the runs, ↑ ↓ across cells at the first and last line, and the
 * notebook's search. */

import type { Extension } from '@codemirror/state'
import { type EditorView, keymap } from '@codemirror/view'

import type { CellView } from './cellView'
import type { NotebookAction } from './keys'
import type { CellSelection } from './selection'

export interface EditKeysHost {
  readonly selection: CellSelection
  /** The cell whose editor this is. */
  cellOf(node: Element): CellView | null
  perform(action: NotebookAction): void
  openSearch(text: string): void
}

export function editModeKeys(host: EditKeysHost): Extension {
  const from = (view: EditorView): CellView | null => host.cellOf(view.dom)
  const run = (action: NotebookAction) => (view: EditorView) => {
    const cell = from(view)
    if (cell === null) return false
    host.selection.select(cell, 'edit')
    host.perform(action)
    return true
  }
  return keymap.of([
    { key: 'Escape', run: (view) => host.selection.leaveEditing(from(view)) },
    {
      key: 'Mod-f',
      run: (view) => {
        const { main } = view.state.selection
        host.openSearch(view.state.sliceDoc(main.from, main.to))
        return true
      }
    },
    { key: 'Shift-Enter', run: run('run-next') },
    { key: 'Mod-Enter', run: run('run-stay') },
    { key: 'Alt-Enter', run: run('run-insert') },
    // JupyterLab's Split Cell: Ctrl+Shift+- (CodeMirror also matches it when Shift turns - into _).
    { key: 'Mod-Shift--', run: run('split') },
    {
      key: 'ArrowUp',
      run: (view) => {
        const { main } = view.state.selection
        if (!main.empty || view.state.doc.lineAt(main.head).number !== 1) return false
        return host.selection.moveEditing(from(view), -1)
      }
    },
    {
      key: 'ArrowDown',
      run: (view) => {
        const { main } = view.state.selection
        const doc = view.state.doc
        if (!main.empty || doc.lineAt(main.head).number !== doc.lines) return false
        return host.selection.moveEditing(from(view), 1)
      }
    }
  ])
}
