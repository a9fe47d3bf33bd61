/** The kernel-state panel: every participant sees the same table of what the kernel holds
 * (name, type, summary, who defined it in which cell, who changed it last), the hidden state
 * no current cell defines, and the packages the kernel imported. Clicking a name jumps to the
 * cell that defined it. */

import * as Y from 'yjs'

import { button, h } from '../dom'
import { isColor } from '../panels/presence'
import { type Analysis, hiddenText, type Package, parseAnalysis, parsePackages, parseVariables, type Provenance, sizeText, type SortKey, sortVariables, type Variable } from './kernelView'
import { DocMap } from '../schema'

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
}

/** Rows drawn at most: a namespace of thousands is filtered, not scrolled through. */
const MAX_ROWS = 300

const COLUMNS: [SortKey, string][] = [
  ['name', 'Name'],
  ['type', 'Type'],
  ['summary', 'Value'],
  ['defined', 'Defined in'],
  ['changed', 'Last changed']
]

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
    const refresh = options.refresh
    this.element = h(
      'section',
      { class: 'panel state-panel', 'aria-labelledby': 'state-title' },
      h('div', { class: 'row' }, h('h2', { id: 'state-title' }, 'Kernel state ', this.count), h('div', { class: 'spacer' }), refresh === null ? null : button('Refresh', 'Look at the kernel’s variables again', () => refresh(), { class: 'btn small' })),
      this.filter,
      h('div', { class: 'state-table-wrap' }, h('table', { class: 'state-table' }, h('thead', {}, this.head), this.body)),
      this.more,
      this.hidden,
      this.packages
    )
    this.kernel.observe(() => this.schedule())
    this.schedule()
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
      ...COLUMNS.map(([key, label]) => {
        const sorted = this.sortKey === key
        return h('th', { scope: 'col', 'aria-sort': sorted ? (this.ascending ? 'ascending' : 'descending') : 'none' },
          button(`${label}${sorted ? (this.ascending ? ' ▲' : ' ▼') : ''}`, `Sort by ${label.toLowerCase()}`, () => this.sortBy(key), { class: 'sort' }))  // prettier-ignore
      })
    )
    const wanted = this.filter.value.trim().toLowerCase()
    const shown = wanted === '' ? this.variables : this.variables.filter((v) => v.name.toLowerCase().includes(wanted) || v.type.toLowerCase().includes(wanted))
    const rows = sortVariables(shown, this.sortKey, this.ascending, this.options.position)
    const empty = this.variables.length === 0 ? 'Nothing in the kernel yet: run a cell.' : 'No name matches the filter.'
    this.body.replaceChildren(
      ...(rows.length === 0
        ? [h('tr', {}, h('td', { colspan: '5', class: 'muted' }, empty))]
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
    return h(
      'tr',
      { 'data-name': v.name },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'var-type' }, v.type),
      h('td', { class: 'var-summary', title: v.note ?? v.summary }, v.summary, size ? h('span', { class: 'muted' }, ` · ${size}`) : null),
      h('td', { class: 'var-defined' }, this.who(defined, true)),
      h('td', { class: 'var-changed' }, this.who(v.changed, false))
    )
  }

  private who(p: Provenance | null, withCell: boolean): HTMLElement {
    if (p === null) return h('span', { class: 'muted' }, 'unknown')
    const color = p.user.color !== undefined && isColor(p.user.color) ? p.user.color : '#8a93a6'
    const when = new Date(p.at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    return h(
      'span',
      { class: 'var-person', style: `--person:${color}`, title: `${this.options.describeCell(p.cell)} [${p.count ?? ' '}] run by ${p.user.name} at ${when}` },
      h('span', { class: 'run-dot', 'aria-hidden': 'true' }),
      withCell ? `${this.options.describeCell(p.cell)} · ${p.user.name}` : `${p.user.name} · ${when}`
    )
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
