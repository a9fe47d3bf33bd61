/** Keys the notebook page takes wherever the focus is, beyond the notebook's own: Jupyter's
 * command-mode keys when nothing in particular has the focus. */

import type { NotebookView } from '../notebook/notebookView'

export function listenForPageKeys(view: NotebookView): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || document.activeElement !== document.body) return
    if (document.querySelector('dialog[open]') !== null) return
    const handled = view.handleKey({ key: event.key, shift: event.shiftKey, ctrl: event.ctrlKey, alt: event.altKey, meta: event.metaKey })
    if (handled) event.preventDefault()
  })
}
