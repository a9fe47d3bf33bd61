/** A cell's own buttons: run (in the gutter of a code cell), and duplicate, move, insert and
 * delete (JupyterLab 4's cell toolbar). */

import { button, h, icon, ICONS } from '../dom'
import { type NotebookAction, shortcutFor } from './keys'

/** A button press asks for `action` on the cell; the notebook does not see the click. */
type Act = (action: NotebookAction) => (event: MouseEvent) => void

/** JupyterLab's cell toolbar, in its order; each button acts on the selected cells when
 * its cell is the active one, else on its cell alone. */
export function cellTools(act: Act): HTMLElement {
  const tool = (path: string, name: string, action: NotebookAction, danger = false): HTMLButtonElement =>
    button(icon(path), name, act(action), { class: danger ? 'tool danger' : 'tool', shortcut: shortcutFor(action) })
  return h(
    'div',
    { class: 'cell-tools', role: 'toolbar', 'aria-label': 'Cell actions' },
    tool(ICONS.duplicate, 'Duplicate cell below', 'duplicate'),
    tool(ICONS.up, 'Move cell up', 'move-up'),
    tool(ICONS.down, 'Move cell down', 'move-down'),
    tool(ICONS.addAbove, 'Insert cell above', 'insert-above'),
    tool(ICONS.addBelow, 'Insert cell below', 'insert-below'),
    tool(ICONS.trash, 'Delete cell', 'delete', true)
  )
}

export function runCellButton(act: Act): HTMLButtonElement {
  return button(icon(ICONS.run), 'Run cell', act('run-stay'), { class: 'tool run-cell', shortcut: 'Ctrl+Enter' })
}
