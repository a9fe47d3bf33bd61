/** A notebook page whose room closed for good before it ever loaded: a mistyped URL (4404)
 * or a notebook this link may not open (4401, 4403). The page stops "Loading the notebook…"
 * and becomes a message, as JupyterLab's "File not found" is, with the way back to the list. */

import { CloseCode, describeClose } from '../closeCodes'
import { type ConnectionState, isTerminal } from '../connectionState'
import { h } from '../dom'
import { topbar } from './chrome'

export interface ClosedPage {
  app: HTMLElement
  path: string
  /** The notebook view: no longer loading once the room is closed for good. */
  view: HTMLElement
  /** Ends the connection and whatever the page keeps running. */
  stop: () => void
}

/** What to tell a person whose notebook never opened: a title and a sentence. */
export function neverOpened(path: string, code: number, reason: string): { title: string; body: string } {
  if (code === CloseCode.NOT_FOUND) {
    // The server's reason names the file as the server sees it: the URL's path is what was typed.
    return { title: 'This notebook does not exist', body: `There is no notebook at ${path}. Check the name, or pick it from the list.` }
  }
  return { title: 'This notebook cannot be opened', body: describeClose(code, reason) }
}

/** Ends the loading state on a terminal close; a room refused before it loaded leaves the
 * notebook page for a message page. Returns true if the page was replaced. */
export function endIfClosed(state: ConnectionState, loaded: boolean, page: ClosedPage): boolean {
  if (!isTerminal(state)) return false
  page.view.classList.remove('loading')
  page.view.classList.add('stopped')
  if (loaded || state.kind !== 'denied') return false
  page.stop()
  const { title, body } = neverOpened(page.path, state.code, state.reason)
  document.title = `${state.code === CloseCode.NOT_FOUND ? 'Notebook not found' : 'Notebook refused'} · pairbook`
  page.app.replaceChildren(
    topbar(),
    h(
      'main',
      { class: 'page narrow' },
      h('div', { class: 'card message', role: 'alert' }, h('h1', {}, title), h('p', {}, body), h('p', {}, h('a', { class: 'btn primary', href: '/' }, 'Back to the notebook list')))
    )
  )
  return true
}
