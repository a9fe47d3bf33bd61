/** A cell's kernel-state warnings (stale, out of order, hidden state), from the server's
 * analysis. */

import { h } from '../dom'

export class CellWarnings {
  readonly element = h('ul', { class: 'cell-warnings', hidden: true, 'aria-label': 'Kernel-state warnings' })
  private signature = ''

  /** Shows these warnings (an empty list hides them). */
  set(items: readonly { kind: string; text: string }[]): void {
    const signature = JSON.stringify(items)
    if (signature === this.signature) return
    this.signature = signature
    this.element.hidden = items.length === 0
    this.element.replaceChildren(...items.map((item) => h('li', { class: 'cell-warning', 'data-kind': item.kind }, item.text)))
  }
}
