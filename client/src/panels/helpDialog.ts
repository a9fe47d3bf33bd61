/** The keyboard shortcuts, as one dialog (H in command mode). */

import { button, h } from '../dom'
import { SHORTCUTS } from '../notebook/keys'

const EDIT_MODE: ReadonlyArray<[string, string]> = [
  ['Esc', 'Back to command mode'],
  ['Shift+Enter', 'Run and select the next cell'],
  ['Ctrl+Enter', 'Run the cell'],
  ['Alt+Enter', 'Run and insert a cell below'],
  ['↑ / ↓', 'On the first / last line: edit the cell above / below'],
  ['Ctrl+Shift+-', 'Split the cell at the cursor (around the selected text)'],
  ['Ctrl+Z', 'Undo your own change (never your partner’s)'],
  ['Ctrl+Shift+Z', 'Redo your change'],
  ['Tab', 'Indent; after a name or a dot: complete from the kernel'],
  ['Shift+Tab', 'Dedent; after a name: the kernel’s help'],
  ['Ctrl+/', 'Comment or uncomment the lines'],
  ['Ctrl+D', 'Also select the next occurrence (multi-cursor)'],
  ['Ctrl+click', 'Add a cursor'],
  ['Ctrl+F', 'Find and replace in the notebook'],
  ['Ctrl+S', 'Nothing to do (in command mode too): every change is saved as you make it']
]

export function openHelpDialog(): void {
  const table = (rows: ReadonlyArray<[string, string]>) =>
    h('table', { class: 'shortcuts' }, ...rows.map(([keys, label]) => h('tr', {}, h('td', {}, h('kbd', {}, keys)), h('td', {}, label))))
  const dialog = h(
    'dialog',
    // The dialog itself takes the focus (not the Close button at its end): it opens at the top.
    { class: 'dialog wide', 'aria-labelledby': 'help-title', autofocus: true, tabindex: '-1' },
    h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
    h(
      'div',
      { class: 'columns' },
      h('div', {}, h('h3', {}, 'Command mode (blue cell border)'), table(SHORTCUTS.map((s) => [s.keys, s.label]))),
      h('div', {}, h('h3', {}, 'Edit mode (green cell border)'), table(EDIT_MODE))
    ),
    h('div', { class: 'row end' }, button('Close', 'Close the shortcuts', () => dialog.close(), { class: 'btn' }))
  )
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
  dialog.scrollTop = 0
}
