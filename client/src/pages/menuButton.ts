/** The WAI-ARIA menu button pattern (https://www.w3.org/WAI/ARIA/apg/patterns/menu-button/),
 * as JupyterLab's menus behave: a click, Enter, Space or ↓ on the button opens the menu on
 * its first item (↑: on its last); ↑ ↓ Home End move among the items; Tab closes it and moves
 * on from the button. Escape, choosing an item or a second click on the button close it, and
 * the focus goes back to where it was before the menu opened (unless an item sent it
 * elsewhere): the button when the menu was opened from it with the keyboard, the notebook when
 * it was opened with a click on a button that takes no focus from a click
 * (dom.keepFocusOnPress), as after JupyterLab's File > Download or Escape from its menus. */

import { button, h } from '../dom'

export interface MenuButtonOptions {
  /** What the button shows ("More", "Download") and what it does, for its tooltip. */
  label: string | Node
  description: string
  /** The menu's name for assistive technology. */
  menuLabel: string
  buttonClass: string
  menuClass: string
}

const ITEM = '[role="menuitem"], [role="menuitemcheckbox"]'
let menus = 0

export class MenuButton {
  readonly toggle: HTMLButtonElement
  /** Fixed on the page, under the button (a toolbar's box would clip it): in the body. */
  readonly menu: HTMLElement
  /** What had the focus when the menu opened: it gets it back when an item is chosen. */
  private opener: Element | null = null

  constructor(options: MenuButtonOptions) {
    const id = `menu-${++menus}`
    this.menu = h('div', { id, class: options.menuClass, role: 'menu', 'aria-label': options.menuLabel, hidden: true })
    this.toggle = button(options.label, options.description, () => this.open(this.menu.hidden, 'first'), { class: options.buttonClass })
    this.toggle.setAttribute('aria-haspopup', 'menu')
    this.toggle.setAttribute('aria-expanded', 'false')
    this.toggle.setAttribute('aria-controls', id)
    document.body.append(this.menu)
    this.toggle.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault()
        this.open(true, event.key === 'ArrowDown' ? 'first' : 'last')
      } else if (event.key === 'Escape' && !this.menu.hidden) {
        event.preventDefault()
        event.stopPropagation()
        this.open(false)
      }
    })
    this.menu.addEventListener('keydown', (event) => this.key(event))
    // Choosing an item does its work (its own listener runs first); then the menu closes.
    this.menu.addEventListener('click', (event) => {
      if ((event.target as Element).closest(ITEM) !== null) this.open(false)
    })
    document.addEventListener('pointerdown', (event) => {
      const target = event.target as Node
      if (!this.menu.hidden && !this.toggle.contains(target) && !this.menu.contains(target)) this.open(false)
    })
  }

  get isOpen(): boolean {
    return !this.menu.hidden
  }

  /** The items one can move to now: shown and enabled. */
  items(): HTMLElement[] {
    return [...this.menu.querySelectorAll<HTMLElement>(ITEM)].filter((item) => item.getClientRects().length > 0 && !(item as HTMLButtonElement).disabled)
  }

  /** Opens the menu (on its first or last item) or closes it; a menu closed while it had
   * the focus gives it back to where it was before the menu opened. */
  open(open: boolean, focus: 'first' | 'last' | null = null): void {
    const hadFocus = this.menu.contains(document.activeElement)
    this.menu.hidden = !open
    this.toggle.setAttribute('aria-expanded', String(open))
    if (!open) {
      if (hadFocus) this.giveFocusBack()
      return
    }
    if (!this.menu.contains(document.activeElement)) this.opener = document.activeElement
    const box = this.toggle.getBoundingClientRect()
    this.menu.style.top = `${Math.round(box.bottom + 4)}px`
    this.menu.style.right = `${Math.round(Math.max(8, document.documentElement.clientWidth - box.right))}px`
    for (const item of this.menu.querySelectorAll('[role="menuitemcheckbox"]')) item.setAttribute('aria-checked', item.getAttribute('aria-pressed') ?? 'false')
    const items = this.items()
    if (focus !== null) (focus === 'first' ? items[0] : items[items.length - 1])?.focus()
  }

  /** The button, when the menu was opened from it with the keyboard; what had the focus
   * before, when it was opened with a click (the button takes no focus from one). */
  private giveFocusBack(): void {
    const opener = this.opener
    if (opener === this.toggle || !(opener instanceof HTMLElement) || !opener.isConnected) this.toggle.focus()
    else if (opener === document.body) (document.activeElement as HTMLElement | null)?.blur()
    else opener.focus({ preventScroll: true })
  }

  private key(event: KeyboardEvent): void {
    const items = this.items()
    const at = items.indexOf(document.activeElement as HTMLElement)
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at < 0 ? items.length - 1 : at - 1, Home: 0, End: items.length - 1 }
    if (event.key in moves && items.length > 0) {
      event.preventDefault()
      items[(moves[event.key]! + items.length) % items.length]!.focus()
    } else if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      this.open(false)
    } else if (event.key === 'Tab') {
      // On from the button, as if the menu had not been open: the focus moves before Tab's default.
      this.toggle.focus()
      this.open(false)
    }
  }
}

/** Makes `element` (a button or link) an item of a menu, or (`on` false) gives it back its
 * own role: roving focus inside the menu, so Tab leaves the menu at once. */
export function asMenuItem(element: HTMLElement, on: boolean): void {
  if (!on) {
    element.removeAttribute('role')
    element.removeAttribute('aria-checked')
    element.removeAttribute('tabindex')
    return
  }
  const pressed = element.getAttribute('aria-pressed')
  element.setAttribute('role', pressed === null ? 'menuitem' : 'menuitemcheckbox')
  if (pressed !== null) element.setAttribute('aria-checked', pressed)
  element.tabIndex = -1
}
