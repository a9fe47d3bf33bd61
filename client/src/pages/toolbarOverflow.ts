/** The toolbar never scrolls or clips: the tools that do not fit move, least needed first,
 * into a "More" menu at its end, and come back when there is room again (a wider window, a
 * shorter kernel status, mob mode ending). */

import { h } from '../dom'
import { asMenuItem, MenuButton } from './menuButton'

/** Room a tool needs beyond its own width: the toolbar's gap between items. */
const SLACK = 10

export class ToolbarOverflow {
  /** The "More" button and its menu: put it in the toolbar where the moved tools should go. */
  readonly element: HTMLElement
  private readonly more: MenuButton
  /** Each tool that may move, and the marker of its place in the toolbar. */
  private readonly places = new Map<HTMLElement, Comment>()
  private readonly order: HTMLElement[]
  /** The tools in the menu now, and each one's width in the toolbar (to know when it fits). */
  private readonly moved = new Set<HTMLElement>()
  private readonly widths = new Map<HTMLElement, number>()
  private readonly observer: MutationObserver
  private frame = 0
  private pressed = false

  /** `tools`: the tools that may move, the first to go first. */
  constructor(private readonly toolbar: HTMLElement, tools: Array<HTMLElement | null>) {
    this.order = tools.filter((tool): tool is HTMLElement => tool !== null)
    // The menu lives outside the toolbar: the toolbar's backdrop filter would make it the
    // box of a fixed menu, and its overflow would clip it.
    this.more = new MenuButton({
      label: h('span', {}, 'More', h('span', { 'aria-hidden': 'true' }, ' ▾')),
      description: 'More actions',
      menuLabel: 'More actions',
      buttonClass: 'tool tool-more-toggle',
      menuClass: 'tool-more-menu'
    })
    this.element = h('div', { class: 'tool-more', hidden: true }, this.more.toggle)
    this.observer = new MutationObserver(() => this.schedule())
    document.addEventListener('pointerdown', () => (this.pressed = true), true)
    const release = (): void => {
      if (!this.pressed) return
      this.pressed = false
      this.schedule()
    }
    document.addEventListener('pointerup', release, true)
    document.addEventListener('pointercancel', release, true)
    window.addEventListener('blur', release)
    window.addEventListener('resize', () => this.schedule())
  }

  /** Call once the toolbar holds every tool (and the "More" element): places are noted
   * and the layout kept from then on. */
  start(): void {
    for (const tool of this.order) {
      const place = document.createComment('tool')
      tool.before(place)
      this.places.set(tool, place)
    }
    this.observer.observe(this.toolbar, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden', 'class'] })
    this.schedule()
  }

  private schedule(): void {
    // Not while a button is pressed: a tool moving between press and release loses the click.
    if (this.pressed) return
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.layout())
  }

  private fits(): boolean {
    return this.toolbar.scrollWidth <= this.toolbar.clientWidth
  }

  /** The toolbar's free room: its spacer's width (it takes what the tools leave). */
  private free(): number {
    return this.toolbar.querySelector(':scope > .spacer')?.getBoundingClientRect().width ?? 0
  }

  /** Out from the least needed while the toolbar overflows; back from the most needed while
   * the free room holds them. Nothing moves when nothing changed: a tool never jumps under
   * the pointer because a status line in the toolbar changed its text. */
  private layout(): void {
    this.frame = 0
    if (this.toolbar.clientWidth === 0) return
    const before = [...this.moved]
    for (const tool of this.order) {
      if (this.fits()) break
      if (this.moved.has(tool) || !this.places.get(tool)?.isConnected) continue
      this.widths.set(tool, tool.getBoundingClientRect().width + SLACK)
      this.moved.add(tool)
      tool.remove()
      markItems(tool, true)
      this.element.hidden = false
    }
    for (const tool of [...this.order].reverse()) {
      if (!this.moved.has(tool)) continue
      // The last one back takes the "More" button's place too.
      const room = this.free() + (this.moved.size === 1 ? this.element.getBoundingClientRect().width : 0)
      if ((this.widths.get(tool) ?? Infinity) > room) break
      this.places.get(tool)?.after(tool)
      markItems(tool, false)
      if (!this.fits()) {
        // Its width changed in the menu (a label that says something else now): out again.
        this.widths.set(tool, tool.getBoundingClientRect().width + SLACK)
        tool.remove()
        markItems(tool, true)
        break
      }
      this.moved.delete(tool)
    }
    this.element.hidden = this.moved.size === 0
    if (before.length !== this.moved.size || before.some((tool) => !this.moved.has(tool))) {
      // In the menu in the toolbar's own order.
      const moved = this.order.filter((tool) => this.moved.has(tool))
      moved.sort((a, b) => {
        const x = this.places.get(a)
        const y = this.places.get(b)
        return x && y && x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1
      })
      this.more.menu.replaceChildren(...moved)
    }
    if (this.element.hidden && this.more.isOpen) this.more.open(false)
    this.toolbar.classList.toggle('crowded', !this.fits())
    this.observer.takeRecords() // our own moves are not news
  }
}

/** The controls of a tool (a button, a link, or a set of them) as a menu's items, or back. */
function markItems(tool: HTMLElement, inMenu: boolean): void {
  const controls = tool.matches('button, a') ? [tool] : [...tool.querySelectorAll<HTMLElement>('button, a')]
  for (const control of controls) asMenuItem(control, inMenu)
}
