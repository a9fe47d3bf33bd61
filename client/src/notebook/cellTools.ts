/** A cell's own buttons: run (in the gutter of a code cell) and move, insert, delete. */

import { button, h, icon, ICONS } from '../dom'
import { type NotebookAction, shortcutFor } from './keys'

/** A button press asks for `action` on the cell; the notebook does not see the click. */
type Act = (action: NotebookAction) => (event: MouseEvent) => void

export function cellTools(act: Act): HTMLElement {
  return h(
    'div',
    { class: 'cell-tools', role: 'toolbar', 'aria-label': 'Cell actions' },
    button(icon(ICONS.up), 'Move cell up', act('move-up'), { class: 'tool', shortcut: shortcutFor('move-up') }),
    button(icon(ICONS.down), 'Move cell down', act('move-down'), { class: 'tool', shortcut: shortcutFor('move-down') }),
    button(icon(ICONS.plus), 'Insert cell below', act('insert-below'), { class: 'tool', shortcut: shortcutFor('insert-below') }),
    button(icon(ICONS.trash), 'Delete cell', act('delete'), { class: 'tool danger', shortcut: shortcutFor('delete') })
  )
}

export function runCellButton(act: Act): HTMLButtonElement {
  return button(icon(ICONS.run), 'Run cell', act('run-stay'), { class: 'tool run-cell', shortcut: 'Ctrl+Enter' })
}
