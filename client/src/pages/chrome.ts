/** What every page shares: the top bar and full-page messages. */

import { h, keepFocusOnPress } from '../dom'

export function topbar(...right: Array<Node | null>): HTMLElement {
  return keepFocusOnPress(
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '/', 'aria-label': 'pairbook: all notebooks' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'p'), 'pairbook'),
      ...right
    )
  )
}

export function showMessage(app: HTMLElement, title: string, body: string, action: Node | null = null): void {
  document.title = `${title} · pairbook`
  app.replaceChildren(
    topbar(),
    h('main', { class: 'page narrow' }, h('div', { class: 'card message' }, h('h1', {}, title), h('p', {}, body), action))
  )
}
