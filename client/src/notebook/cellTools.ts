/** A cell's own buttons: run (in the gutter of a code cell), and duplicate, move, insert and
 * delete (JupyterLab 4's cell toolbar), then, on a code cell, clearing its outputs and every
 * cell's (JupyterLab's Clear Cell Output and Clear Outputs of All Cells, from a cell's context
 * menu there; the notebook's toolbar has no room left for them). */

import { button, h, icon, ICONS, keepFocusOnPress } from '../dom'
import { type NotebookAction, shortcutFor } from './keys'

/** A button press asks for `action` on the cell; the notebook does not see the click. */
type Act = (action: NotebookAction) => (event: MouseEvent) => void

/** JupyterLab's cell toolbar, in its order; each button acts on the selected cells when
 * its cell is the active one, else on its cell alone. A press leaves the keyboard where it
 * was (Z then undoes what the button did), as JupyterLab's toolbar buttons do. */
export function cellTools(act: Act, code: boolean): HTMLElement {
  const tool = (path: string, name: string, action: NotebookAction, danger = false): HTMLButtonElement =>
    button(icon(path), name, act(action), { class: danger ? 'tool danger' : 'tool', shortcut: shortcutFor(action) })
  return keepFocusOnPress(h(
    'div',
    { class: 'cell-tools', role: 'toolbar', 'aria-label': 'Cell actions' },
    tool(ICONS.duplicate, 'Duplicate cell below', 'duplicate'),
    tool(ICONS.up, 'Move cell up', 'move-up'),
    tool(ICONS.down, 'Move cell down', 'move-down'),
    tool(ICONS.addAbove, 'Insert cell above', 'insert-above'),
    tool(ICONS.addBelow, 'Insert cell below', 'insert-below'),
    tool(ICONS.trash, 'Delete cell', 'delete', true),
    code ? tool(ICONS.clearOutput, 'Clear outputs', 'clear-outputs') : null,
    code ? tool(ICONS.clearAll, 'Clear all outputs', 'clear-all-outputs') : null
  ))
}

export function runCellButton(act: Act): HTMLButtonElement {
  return button(icon(ICONS.run), 'Run cell', act('run-stay'), { class: 'tool run-cell', shortcut: 'Ctrl+Enter' })
}
