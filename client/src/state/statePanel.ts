/** The kernel-state panel: every participant sees the same table of what the kernel holds
 * (name and type, value, who defined it in which cell, who changed it last), the hidden state
 * no current cell defines, and the packages the kernel imported. Clicking a name jumps to the
 * cell that defined it. Who and where always show: the value is the column that gives way
 * (its full text on hover, or click it to unfold). */

import * as Y from 'yjs'

import { button, h } from '../dom'
import { isColor } from '../panels/presence'
import { type Analysis, hiddenText, type Package, parseAnalysis, parsePackages, parseVariables, type Person, personKey, type Provenance, sizeText, type SortKey, sortVariables, type Variable } from './kernelView'
import { DocMap } from '../schema'
import type { SidebarWidth } from './panelWidth'

export interface StatePanelOptions {
  doc: Y.Doc
  /** "cell 3", or "a deleted cell". */
  describeCell: (id: string) => string
  /** The cell's position, for sorting (deleted cells last). */
  position: (id: string) => number
  jumpTo: (id: string) => void
  /** Null: no Refresh button (viewers cannot probe the kernel). */
  refresh: (() => void) | null
  downloadRequirements: () => void
  onAnalysis: (analysis: Analysis) => void
  /** The panel's width (the sidebar's): null, no Wide button. */
  width?: SidebarWidth | null
}

/** Rows drawn at most: a namespace of thousands is filtered, not scrolled through. */
const MAX_ROWS = 300

/** The columns and their sort keys: the type is sorted from the name's column, where it
 * shows under the name (so the value column keeps what room there is). */
const COLUMNS: { keys: [SortKey, string][]; class: string }[] = [
  { keys: [['name', 'Name'], ['type', 'Type']], class: 'col-name' },
  { keys: [['summary', 'Value']], class: 'col-value' },
  { keys: [['defined', 'Defined in']], class: 'col-defined' },
  { keys: [['changed', 'Last changed']], class: 'col-changed' }
]

const time = (at: number): string => new Date(at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
/** In the table's narrow column: hours and minutes (the seconds are in the tooltip). */
const shortTime = (at: number): string => new Date(at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

export class StatePanel {
  readonly element: HTMLElement
  private readonly kernel: Y.Map<unknown>
  private readonly body: HTMLElement
  private readonly head: HTMLElement
  private readonly hidden: HTMLElement
  private readonly packages: HTMLElement
  private readonly count: HTMLElement
  private readonly filter: HTMLInputElement
  private readonly more: HTMLElement
  private readonly notice: HTMLElement
  private readonly expanded = new Set<string>()
  private sortKey: SortKey = 'defined'
  private ascending = true
  private variables: Variable[] = []
  private observed: Y.Map<unknown> | null = null
  private frame = 0
  private skipped = 0

  constructor(private readonly options: StatePanelOptions) {
    this.kernel = options.doc.getMap(DocMap.KERNEL_MAP)
    this.count = h('span', { class: 'count' })
    this.head = h('tr', {})
    this.body = h('tbody', {})
    this.hidden = h('ul', { class: 'state-hidden', 'aria-label': 'Hidden state' })
    this.packages = h('div', { class: 'state-packages muted' })
    this.filter = h('input', { type: 'search', class: 'state-filter', placeholder: 'Filter names or types', 'aria-label': 'Filter the kernel’s names' }) as HTMLInputElement
    this.filter.addEventListener('input', () => this.renderTable())
    this.more = h('div', { class: 'state-more muted', hidden: true })
    this.notice = h('div', { class: 'state-notice', role: 'status', hidden: true })
    const refresh = options.refresh
    this.element = h(
      'section',
      { class: 'panel state-panel', 'aria-labelledby': 'state-title' },
      h('div', { class: 'row' }, h('h2', { id: 'state-title' }, 'Kernel state ', this.count), h('div', { class: 'spacer' }), this.wideButton(), refresh === null ? null : button('Refresh', 'Look at the kernel’s variables again', () => refresh(), { class: 'btn small' })),
      this.notice,
      this.filter,
      h('div', { class: 'state-table-wrap' }, h('table', { class: 'state-table' }, h('colgroup', {}, ...COLUMNS.map((c) => h('col', { class: c.class }))), h('thead', {}, this.head), this.body)),
      this.more,
      this.hidden,
      this.packages
    )
    this.kernel.observe(() => this.schedule())
    this.schedule()
  }

  /** A line above the table about the whole view (e.g. that its kernel is gone); null hides
   * it. `kind` styles it ("warning", "info"). */
  setNotice(text: string | null, kind = 'info'): void {
    this.notice.hidden = text === null
    this.notice.textContent = text ?? ''
    this.notice.dataset.kind = kind
    this.element.classList.toggle('has-notice', text !== null)
  }

  private wideButton(): HTMLElement | null {
    const width = this.options.width
    if (width === undefined || width === null) return null
    const wide = button('Wide', 'Widen the side panels to half the window, or back', () => width.toggleWide(), { class: 'btn small state-wide' })
    const show = (on: boolean): void => {
      wide.setAttribute('aria-pressed', String(on))
      wide.classList.toggle('active', on)
    }
    width.onChange(show)
    show(width.isWide)
    return wide
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render())
  }

  private render(): void {
    this.frame = 0
    const raw = this.kernel.get('variables')
    if (raw instanceof Y.Map && raw !== this.observed) {
      this.observed?.unobserve(this.onVariables)
      raw.observe(this.onVariables)
      this.observed = raw
    }
    this.variables = parseVariables(raw instanceof Y.Map ? raw.toJSON() : null)
    const analysis = parseAnalysis(this.kernel.get('analysis'))
    this.renderTable(analysis.skipped)
    this.renderHidden(analysis)
    this.renderPackages(parsePackages(this.kernel.get('packages')))
    this.options.onAnalysis(analysis)
  }

  private readonly onVariables = (): void => this.schedule()

  private renderTable(skipped = this.skipped): void {
    this.skipped = skipped
    this.count.textContent = skipped > 0 ? `(${this.variables.length.toLocaleString()} shown of ${(this.variables.length + skipped).toLocaleString()})` : `(${this.variables.length})`
    this.head.replaceChildren(
      ...COLUMNS.map((column) => {
        const sorted = column.keys.some(([key]) => key === this.sortKey)
        const buttons = column.keys.map(([key, label], index) => {
          const arrow = this.sortKey === key ? (this.ascending ? ' ▲' : ' ▼') : ''
          return [index > 0 ? h('span', { class: 'sort-sep', 'aria-hidden': 'true' }, ' · ') : null, button(`${label}${arrow}`, `Sort by ${label.toLowerCase()}`, () => this.sortBy(key), { class: 'sort' })]
        })
        return h('th', { scope: 'col', class: column.class, 'aria-sort': sorted ? (this.ascending ? 'ascending' : 'descending') : 'none' }, ...buttons.flat())
      })
    )
    const wanted = this.filter.value.trim().toLowerCase()
    const shown = wanted === '' ? this.variables : this.variables.filter((v) => v.name.toLowerCase().includes(wanted) || v.type.toLowerCase().includes(wanted))
    const rows = sortVariables(shown, this.sortKey, this.ascending, this.options.position)
    const empty = this.variables.length === 0 ? 'Nothing in the kernel yet: run a cell.' : 'No name matches the filter.'
    this.body.replaceChildren(
      ...(rows.length === 0
        ? [h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'muted' }, empty))]
        : rows.slice(0, MAX_ROWS).map((v) => this.row(v)))
    )
    this.more.hidden = rows.length <= MAX_ROWS
    this.more.textContent = `${MAX_ROWS} of ${rows.length.toLocaleString()} names shown: filter or sort to see others.`
  }

  private row(v: Variable): HTMLElement {
    const defined = v.defined
    const name = defined === null
      ? h('span', { class: 'var-name' }, v.name)
      : button(v.name, `Go to ${this.options.describeCell(defined.cell)}, where ${v.name} was defined`, () => this.options.jumpTo(defined.cell), { class: 'var-name link' })  // prettier-ignore
    const size = sizeText(v)
    const full = `${v.summary}${size ? ` · ${size}` : ''}${v.note ? `\n${v.note}` : ''}`
    const open = this.expanded.has(v.name)
    const value = button(h('span', { class: 'var-summary-text' }, v.summary, size ? h('span', { class: 'muted' }, ` · ${size}`) : null), `${v.name}'s value: ${open ? 'fold' : 'unfold'}`, () => this.toggle(v.name), { class: 'var-value' })
    value.title = full
    value.setAttribute('aria-expanded', String(open))
    return h(
      'tr',
      { 'data-name': v.name, class: open ? 'expanded' : null },
      h('th', { scope: 'row', class: 'var-id' }, name, h('span', { class: 'var-type', title: v.type }, v.type.split('.').pop() ?? v.type)),
      h('td', { class: 'var-summary' }, value),
      h('td', { class: 'var-defined' }, ...this.definedIn(defined)),
      h('td', { class: 'var-changed' }, ...this.changedBy(v.changed))
    )
  }

  private toggle(name: string): void {
    if (!this.expanded.delete(name)) this.expanded.add(name)
    this.renderTable()
  }

  /** Where and by whom: the cell, then who ran it, and who wrote it when that is someone
   * else (a re-run of a partner's unchanged cell credits both). */
  private definedIn(p: Provenance | null): HTMLElement[] {
    if (p === null) return [h('span', { class: 'muted' }, 'unknown')]
    const where = this.options.describeCell(p.cell)
    const author = p.author !== null && p.author.name !== '' && personKey(p.author) !== personKey(p.user) ? p.author : null
    const title = `${where} [${p.count ?? ' '}]${author === null ? '' : `, written by ${author.name},`} run by ${p.user.name} at ${time(p.at)}`
    return [
      h('span', { class: 'var-line var-cell', title }, where),
      author === null ? this.person(p.user, p.user.name, title) : this.person(author, `${author.name} wrote`, title, 'var-author'),
      author === null ? null : this.person(p.user, `${p.user.name} ran`, title, 'var-runner')
    ].filter((e): e is HTMLElement => e !== null)
  }

  private changedBy(p: Provenance | null): HTMLElement[] {
    if (p === null) return [h('span', { class: 'muted' }, 'unknown')]
    const title = `${this.options.describeCell(p.cell)} [${p.count ?? ' '}] run by ${p.user.name} at ${time(p.at)}`
    return [this.person(p.user, p.user.name, title), h('span', { class: 'var-line var-time muted', title }, shortTime(p.at))]
  }

  private person(who: Person, text: string, title: string, extra = ''): HTMLElement {
    const color = who.color !== undefined && isColor(who.color) ? who.color : '#8a93a6'
    return h('span', { class: `var-line var-person ${extra}`.trim(), style: `--person:${color}`, title }, h('span', { class: 'run-dot', 'aria-hidden': 'true' }), h('span', { class: 'var-person-name' }, text))
  }

  private sortBy(key: SortKey): void {
    this.ascending = this.sortKey === key ? !this.ascending : true
    this.sortKey = key
    this.renderTable()
  }

  private renderHidden(analysis: Analysis): void {
    this.hidden.hidden = analysis.hidden.length === 0
    this.hidden.replaceChildren(
      h('li', { class: 'state-hidden-title' }, 'Hidden state: in the kernel, but no cell defines it'),
      ...analysis.hidden.map((entry) => h('li', { class: 'state-hidden-item', 'data-name': entry.name }, hiddenText(entry, this.options.describeCell)))
    )
  }

  private renderPackages(packages: Package[]): void {
    const listed = packages.map((p) => (p.version ? `${p.name} ${p.version}` : p.name)).join(', ')
    this.packages.replaceChildren(
      h('span', {}, packages.length === 0 ? 'No third-party packages imported yet.' : `Packages: ${listed}`),
      ' ',
      button('requirements.txt', 'Download the packages the kernel imported as a requirements file', () => this.options.downloadRequirements(), { class: 'btn small' })
    )
  }
}
