/** Collapsible headings, as JupyterLab 4's: a markdown cell that opens with a heading gets a
 * caret left of it that hides the cells under it, down to the next heading of its level or
 * above, and a "3 cells hidden" button while it is collapsed. What is collapsed is this
 * person's view of the notebook, like a scroll position: it is kept in this page, never in
 * the shared document, and a partner's page shows every cell. */

import { button, keepFocusOnPress, relabel } from '../dom'

/** A heading's level (1 to 6) for a markdown cell whose first block is a heading (ATX `#`,
 * setext `===`/`---`, or an `<h1>`…`<h6>` element), 0 for any other cell: as JupyterLab,
 * only the first block counts. */
export function headingLevel(type: string, source: string): number {
  if (type !== 'markdown') return 0
  const text = source.replace(/^(?:[ \t]*\n)+/, '')
  const atx = /^ {0,3}(#{1,6})(?:[ \t]|$)/m.exec(text.split('\n', 1)[0] ?? '')
  if (atx !== null) return atx[1]!.length
  const setext = /^ {0,3}\S[^\n]*\n {0,3}(=+|-+)[ \t]*(?:\n|$)/.exec(text)
  if (setext !== null) return setext[1]!.startsWith('=') ? 1 : 2
  const html = /^\s*<h([1-6])[\s>]/i.exec(text)
  return html === null ? 0 : Number(html[1])
}

/** The cells the collapsed headings hide: each hidden cell's id, with the id of the
 * outermost collapsed heading that hides it. */
export function foldedCells(cells: ReadonlyArray<{ id: string; level: number }>, collapsed: ReadonlySet<string>): Map<string, string> {
  const hidden = new Map<string, string>()
  let hider: { id: string; level: number } | null = null
  for (const cell of cells) {
    if (hider !== null && (cell.level === 0 || cell.level > hider.level)) {
      hidden.set(cell.id, hider.id)
      continue
    }
    hider = cell.level > 0 && collapsed.has(cell.id) ? cell : null
  }
  return hidden
}

/** The heading that holds the cell at `index`: the nearest one above at a level higher than
 * the cell's own (any level, for a cell that is no heading); -1 if none. */
export function parentHeading(levels: readonly number[], index: number): number {
  const own = levels[index] ?? 0
  for (let at = index - 1; at >= 0; at--) {
    const level = levels[at]!
    if (level > 0 && (own === 0 || level < own)) return at
  }
  return -1
}

/** The selection as the folds need it: the selected cell, and a way to select another. */
export interface FoldSelection {
  readonly active: { readonly id: string } | null
  selectIndex(index: number, mode: 'command'): void
}

/** A cell as the folds need it. */
export interface FoldCell {
  readonly id: string
  readonly type: string
  readonly source: string
  readonly element: HTMLElement
}

export class HeadingFolds {
  private readonly collapsed = new Set<string>()
  private hidden = new Map<string, string>()
  private levels = new Map<string, number>()
  private frame = 0

  /** `cells`: the notebook's cells, in order; `selection`: this person's. */
  constructor(
    private readonly cells: () => readonly FoldCell[],
    private readonly selection: () => FoldSelection
  ) {}

  /** Whether a collapsed heading hides the cell. */
  isHidden(id: string): boolean {
    return this.hidden.has(id)
  }

  /** The outermost collapsed heading that hides the cell, or null. */
  hiderOf(id: string): string | null {
    return this.hidden.get(id) ?? null
  }

  levelOf(id: string): number {
    return this.levels.get(id) ?? 0
  }

  isCollapsed(id: string): boolean {
    return this.collapsed.has(id) && this.levelOf(id) > 0
  }

  /** Collapses or expands the heading (`collapse` omitted: the other way round). */
  toggle(id: string, collapse = !this.isCollapsed(id)): void {
    if (collapse && this.levelOf(id) === 0) return
    if (collapse) this.collapsed.add(id)
    else this.collapsed.delete(id)
    this.fold(collapse)
  }

  /** Collapses every heading (`collapse` false: expands them all). */
  setAll(collapse: boolean): void {
    this.collapsed.clear()
    if (collapse) for (const [id, level] of this.levels) if (level > 0) this.collapsed.add(id)
    this.fold(collapse)
  }

  /** Expands the headings that hide the cell (it was selected, found, followed to). */
  show(id: string): void {
    if (!this.hidden.has(id)) return
    for (let hider = this.hidden.get(id); hider !== undefined; hider = this.hidden.get(id)) {
      this.collapsed.delete(hider)
      this.measure(this.cells())
    }
    this.paintAll()
  }

  /** The document changed: headings may have come or gone (once per frame). */
  schedule(): void {
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.refresh()
    })
  }

  refresh(): void {
    this.measure(this.cells())
    this.placeActive(false)
    this.paintAll()
  }

  /** The selected cell was folded away: by this person's collapse (`folding`), its heading
   * is selected; by a change of the document (a heading removed above it), it is shown. */
  private placeActive(folding: boolean): void {
    const selection = this.selection()
    const active = selection.active
    const hider = active === null ? undefined : this.hidden.get(active.id)
    if (active === null || hider === undefined) return
    if (!folding) return this.show(active.id)
    const heading = this.cells().findIndex((cell) => cell.id === hider)
    if (heading >= 0) selection.selectIndex(heading, 'command')
  }

  private fold(collapse: boolean): void {
    this.measure(this.cells())
    if (collapse) this.placeActive(true)
    this.paintAll()
  }

  private measure(cells: readonly FoldCell[]): void {
    this.levels = new Map(cells.map((cell) => [cell.id, headingLevel(cell.type, cell.type === 'markdown' ? cell.source : '')]))
    this.hidden = foldedCells(
      cells.map((cell) => ({ id: cell.id, level: this.levelOf(cell.id) })),
      this.collapsed
    )
  }

  private paintAll(): void {
    const counts = new Map<string, number>()
    for (const hider of this.hidden.values()) counts.set(hider, (counts.get(hider) ?? 0) + 1)
    for (const cell of this.cells()) this.paint(cell, counts.get(cell.id) ?? 0)
  }

  destroy(): void {
    cancelAnimationFrame(this.frame)
  }

  /** The cell's caret (a heading's), its "hidden" button (a collapsed one's) and whether it shows. */
  private paint(cell: FoldCell, hiddenCount: number): void {
    cell.element.classList.toggle('folded', this.hidden.has(cell.id))
    const gutter = cell.element.querySelector(':scope > .cell-gutter')
    let caret = gutter?.querySelector<HTMLButtonElement>(':scope > .heading-fold') ?? null
    const level = this.levelOf(cell.id)
    if (level === 0) caret?.remove()
    else if (caret === null && gutter != null) {
      caret = button('▾', 'Collapse the section under this heading', (event) => {
        event.stopPropagation()
        this.toggle(cell.id)
      }, { class: 'tool heading-fold' })
      // Before the partners' avatars, so that its place beside the heading's line is fixed.
      gutter.querySelector(':scope > .cell-prompt')?.after(keepFocusOnPress(caret)) // the keys go on acting on the selected cell
    }
    if (caret !== null && level > 0 && caret.dataset.level !== String(level)) caret.dataset.level = String(level) // style.css: level's line
    const collapsed = this.isCollapsed(cell.id)
    if (caret !== null && level > 0 && caret.getAttribute('aria-expanded') !== String(!collapsed)) {
      caret.setAttribute('aria-expanded', String(!collapsed))
      // The shortcut is the arrow the caret's own press stands for (JupyterLab's ← and →).
      caret.dataset.shortcut = collapsed ? '→' : '←'
      relabel(caret, collapsed ? '▸' : '▾', collapsed ? 'Expand the section under this heading' : 'Collapse the section under this heading')
    }
    this.paintHiddenButton(cell, collapsed ? hiddenCount : 0)
  }

  private paintHiddenButton(cell: FoldCell, count: number): void {
    const body = cell.element.querySelector(':scope > .cell-body')
    let shown = body?.querySelector<HTMLButtonElement>(':scope > .hidden-cells') ?? null
    if (count === 0) {
      shown?.remove()
      return
    }
    const label = `${count} cell${count === 1 ? '' : 's'} hidden`
    if (shown === null) {
      shown = button(label, 'Expand the section under this heading', (event) => {
        event.stopPropagation()
        this.toggle(cell.id, false)
      }, { class: 'btn hidden-cells' })
      body?.append(keepFocusOnPress(shown))
    } else if (shown.textContent !== label) {
      relabel(shown, label, 'Expand the section under this heading')
    }
  }
}
