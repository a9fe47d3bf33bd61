/** Building DOM elements without a framework. */

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>
type Child = Node | string | null | undefined | false

/** An element with attributes (`on*` keys become listeners; false/null/undefined are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value)
    } else if (name === 'class') {
      element.className = String(value)
    } else {
      element.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(element, children)
  return element
}

export function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

/** A button with a visible label or icon, an accessible name and a tooltip.
 *
 * The accessible name always holds the visible label (WCAG 2.5.3 Label in Name: someone
 * who says "click Blame" to their speech input finds the button called Blame): a label in
 * words that `description` does not contain is the name itself, and `description` becomes
 * the tooltip and accessible description; an icon or symbol is named by `description`. */
export function button(
  label: string | Node,
  description: string,
  onClick: (event: MouseEvent) => void,
  options: { shortcut?: string; class?: string } = {}
): HTMLButtonElement {
  const element = h('button', {
    type: 'button',
    class: options.class ?? 'btn',
    'aria-keyshortcuts': options.shortcut ? ariaShortcut(options.shortcut) : undefined
  })
  if (options.shortcut) element.dataset.shortcut = options.shortcut
  relabel(element, label, description)
  element.addEventListener('click', onClick)
  return element
}

/** Buttons in `bar` take no focus from a pointer press, as JupyterLab's toolbar buttons:
 * the focus stays where the person was working, so the notebook's keys keep acting on the
 * notebook and a dialog a button opens gives the focus back there when it closes (Shift+Enter
 * after closing Invite runs the cell, not Invite again). Tab still reaches every button, and
 * a dialog opened from the keyboard gives the focus back to its button. */
export function keepFocusOnPress(bar: HTMLElement): HTMLElement {
  bar.addEventListener('mousedown', (event) => {
    if (event.target instanceof Element && event.target.closest('button') !== null) event.preventDefault()
  })
  return bar
}

/** Gives `element` (a button) a new visible label and description, keeping its accessible
 * name in step with what it shows (see `button`). */
export function relabel(element: HTMLElement, label: string | Node, description: string): void {
  element.replaceChildren(label)
  const shortcut = element.dataset.shortcut
  element.title = shortcut ? `${description} (${shortcut})` : description
  const shown = words(visibleText(element))
  if (shown === '' || ` ${words(description)} `.includes(` ${shown} `)) element.setAttribute('aria-label', description)
  else element.removeAttribute('aria-label')
}

/** The text an element shows, without what is hidden from assistive technology. */
export function visibleText(node: Node): string {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? ''
  if (node instanceof Element && node.getAttribute('aria-hidden') === 'true') return ''
  return [...node.childNodes].map(visibleText).join('')
}

/** Text as the words in it, lower case, one space apart: symbols (▾, ▲, ✓) are not words. */
export function words(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}.]+/gu, ' ').trim()
}

function ariaShortcut(shortcut: string): string {
  return shortcut
    .split(' or ')[0]!
    .replace(/↑/g, 'ArrowUp')
    .replace(/↓/g, 'ArrowDown')
    .replace(/, /g, ' ')
}

/** An inline SVG icon from a path in a 24-unit box. */
export function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('width', '16')
  svg.setAttribute('height', '16')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('class', 'icon')
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'path')
  p.setAttribute('d', path)
  svg.append(p)
  return svg
}

export const ICONS = {
  plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
  addAbove: 'M11 2h2v4h4v2h-4v4h-2V8H7V6h4zM4 15h16v6H4zm2 2v2h12v-2z',
  addBelow: 'M4 3h16v6H4zm2 2v2h12V5zm5 7h2v4h4v2h-4v4h-2v-4H7v-2h4z',
  duplicate: 'M9 2h10a2 2 0 012 2v11h-2V4H9zM5 6h10a2 2 0 012 2v12a2 2 0 01-2 2H5a2 2 0 01-2-2V8a2 2 0 012-2zm0 2v12h10V8z',
  up: 'M12 6l6 6-1.4 1.4L13 9.8V19h-2V9.8l-3.6 3.6L6 12z',
  down: 'M12 18l-6-6 1.4-1.4 3.6 3.6V5h2v9.2l3.6-3.6L18 12z',
  trash: 'M9 3h6l1 2h4v2H4V5h4zm-3 6h12l-1 12H7z',
  undo: 'M12.5 8c-2.6 0-5 1-6.9 2.6L2 7v9h9l-3.6-3.6A7.9 7.9 0 0112.5 10c3.5 0 6.5 2.3 7.6 5.5l2.3-.8A10 10 0 0012.5 8z',
  redo: 'M18.4 10.6A10 10 0 002 14.7l2.3.8A8 8 0 0116.6 12.4L13 16h9V7z',
  keyboard: 'M3 6h18a1 1 0 011 1v10a1 1 0 01-1 1H3a1 1 0 01-1-1V7a1 1 0 011-1zm2 3v2h2V9zm4 0v2h2V9zm4 0v2h2V9zm4 0v2h2V9zM6 13v2h12v-2z',
  share: 'M18 16a3 3 0 00-2.4 1.2l-6.7-3.4a3 3 0 000-1.6l6.7-3.4A3 3 0 1015 7a3 3 0 00.1.8L8.4 11.2a3 3 0 100 3.6l6.7 3.4A3 3 0 1018 16z',
  eye: 'M12 5C6 5 2 12 2 12s4 7 10 7 10-7 10-7-4-7-10-7zm0 11a4 4 0 110-8 4 4 0 010 8z',
  run: 'M7 4.5v15l12-7.5z',
  runAll: 'M3 5v14l8-7zm9 0v14l9-7z',
  stop: 'M6 6h12v12H6z',
  restart: 'M12 5V2L7 6l5 4V7a5 5 0 11-5 5H5a7 7 0 107-7z',
  clearOutput: 'M4 5h16v2H4zm0 4h10v2H4zm0 4h7v2H4zm11.6 0L18 15.4l2.4-2.4 1.4 1.4-2.4 2.4 2.4 2.4-1.4 1.4-2.4-2.4-2.4 2.4-1.4-1.4 2.4-2.4-2.4-2.4z',
  clearAll: 'M3 3h18v2H3zm0 4h12v2H3zm0 4h8v2H3zm12.6 2L18 15.4l2.4-2.4 1.4 1.4-2.4 2.4 2.4 2.4-1.4 1.4-2.4-2.4-2.4 2.4-1.4-1.4 2.4-2.4-2.4-2.4zM3 15h6v2H3zm0 4h6v2H3z'
} as const

/** Offers `text` as a file download: through a blob URL, so no token ever sits in a link. */
export function saveFile(filename: string, text: string, type: string): void {
  const link = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: filename })
  link.click()
  URL.revokeObjectURL(link.href)
}
