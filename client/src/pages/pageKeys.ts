/** Keys the notebook page takes wherever the focus is, beyond the notebook's own: Jupyter's
 * command-mode keys when nothing in particular has the focus, and Ctrl+S. */

import { type ConnectionState, isTerminal } from '../connectionState'
import type { KeyInput } from '../notebook/keys'
import type { NotebookView } from '../notebook/notebookView'

export interface PageKeysOptions {
  /** The notebook's file name, as the note about saving names it. */
  name: string
  viewer: boolean
  connection: () => ConnectionState
  notify: (message: string) => void
}

/** Ctrl+S or ⌘S, with or without Shift (JupyterLab's Save and Save As). */
export function isSaveKey(input: KeyInput): boolean {
  return (input.ctrl === true || input.meta === true) && input.alt !== true && input.key.toLowerCase() === 's'
}

/** What Ctrl+S tells: pairbook keeps every change as it is made, so the press has nothing to
 * do but say where the changes are. */
export function saveNote(name: string, viewer: boolean, state: ConnectionState): string {
  if (viewer) return `Nothing to save: you are viewing ${name}. Download keeps a copy of it.`
  if (state.kind === 'connected') return `Saved: pairbook keeps every change as it is made and writes ${name} a moment later. No need to press Ctrl+S.`
  if (isTerminal(state)) return 'Not saved: this page is cut off from the notebook (the note at the top says why).'
  return 'Not connected: your changes wait in this tab and are saved as soon as it reconnects.'
}

export function listenForPageKeys(view: NotebookView, options: PageKeysOptions): void {
  document.addEventListener('keydown', (event) => {
    const input = { key: event.key, shift: event.shiftKey, ctrl: event.ctrlKey, alt: event.altKey, meta: event.metaKey }
    // The browser's own Ctrl+S saves the page as HTML, a file nobody wants.
    if (isSaveKey(input)) {
      event.preventDefault()
      options.notify(saveNote(options.name, options.viewer, options.connection()))
      return
    }
    if (event.defaultPrevented || document.activeElement !== document.body) return
    if (document.querySelector('dialog[open]') !== null) return
    if (view.handleKey(input)) event.preventDefault()
  })
}
