/** The kernel-state panel in JupyterLab's right sidebar, for the notebook in focus: every
 * name the room's kernel holds, with its type and value, the cell that defined it and who
 * ran it (and who wrote it, when someone else did); the hidden state no current cell
 * defines; the packages the kernel imported. Clicking a name selects its cell. */

import type { NotebookPanel } from '@jupyterlab/notebook'
import { Widget } from '@lumino/widgets'

import { button, h } from '../../../client/src/dom'
import type { NotebookBinding } from './binding'
import { cellPlaces, kernelStateView, type PersonView, type VariableRow } from './kernelState'

export class KernelStateSidebar extends Widget {
  private binding: NotebookBinding | null = null
  private readonly count: HTMLElement
  private readonly filter: HTMLInputElement
  private readonly body: HTMLElement
  private readonly hidden: HTMLElement
  private readonly packages: HTMLElement
  private frame = 0

  constructor() {
    super()
    this.id = 'pairbook-kernel-state'
    this.addClass('pb-Sidebar')
    this.addClass('pb-StateSidebar')
    this.title.caption = 'pairbook: kernel state'
    this.count = h('span', { class: 'pb-Muted' })
    this.filter = h('input', { type: 'search', class: 'jp-mod-styled pb-State-filter', placeholder: 'Filter names or types', 'aria-label': 'Filter the kernel’s names' })
    this.filter.addEventListener('input', () => this.schedule())
    this.body = h('tbody', {})
    this.hidden = h('ul', { class: 'pb-State-hidden', 'aria-label': 'Hidden state' })
    this.packages = h('p', { class: 'pb-State-packages pb-Muted' })
    const head = h('tr', {}, ...['Name', 'Value', 'Defined', 'Changed'].map((label) => h('th', { scope: 'col' }, label)))
    this.node.append(
      h('h2', { class: 'pb-Sidebar-title' }, 'Kernel state ', this.count),
      this.filter,
      h('table', { class: 'pb-State-table' }, h('thead', {}, head), this.body),
      this.hidden,
      this.packages
    )
    this.render()
  }

  /** Shows the kernel of this notebook's room (null: not a room's notebook). */
  bind(binding: NotebookBinding | null): void {
    if (binding === this.binding) return
    this.binding?.ykernel.unobserveDeep(this.schedule)
    this.binding?.panel.content.model?.cells.changed.disconnect(this.schedule, this)
    this.binding = binding
    binding?.ykernel.observeDeep(this.schedule)
    binding?.panel.content.model?.cells.changed.connect(this.schedule, this)
    this.render()
  }

  override dispose(): void {
    this.bind(null)
    cancelAnimationFrame(this.frame)
    super.dispose()
  }

  private readonly schedule = (): void => {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render())
  }

  private render(): void {
    this.frame = 0
    const binding = this.binding
    if (binding === null || binding.isDisposed) {
      this.count.textContent = ''
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: '4', class: 'pb-Muted' }, 'Open a notebook of a pairbook room to see what its kernel holds.')))
      this.hidden.hidden = true
      this.packages.textContent = ''
      return
    }
    const panel = binding.panel
    const ids = panel.content.widgets.map((cell) => cell.model.id)
    const places = cellPlaces(ids)
    const view = kernelStateView(binding.ykernel.toJSON(), places, this.filter.value)
    this.count.textContent = view.count
    const empty = view.count === '(0)' ? 'Nothing in the kernel yet: run a cell.' : 'No name matches the filter.'
    this.body.replaceChildren(...(view.rows.length === 0 ? [h('tr', {}, h('td', { colspan: '4', class: 'pb-Muted' }, empty))] : view.rows.map((row) => this.row(row, panel, ids))))
    this.hidden.hidden = view.hidden.length === 0
    this.hidden.replaceChildren(h('li', { class: 'pb-State-hiddenTitle' }, 'Hidden state: in the kernel, but no cell defines it'), ...view.hidden.map((line) => h('li', {}, line)))
    this.packages.textContent = view.packages === '' ? 'No third-party packages imported yet.' : `Packages: ${view.packages}`
  }

  private row(row: VariableRow, panel: NotebookPanel, ids: string[]): HTMLElement {
    const at = row.cell === null ? -1 : ids.indexOf(row.cell)
    const name = at < 0
      ? h('span', { class: 'pb-State-name' }, row.name)
      : button(row.name, `Go to ${row.where}, where ${row.name} was defined`, () => selectCell(panel, at), { class: 'pb-State-name pb-Link' })
    const value = row.size === '' ? row.summary : `${row.summary} · ${row.size}`
    return h(
      'tr',
      { 'data-name': row.name },
      h('th', { scope: 'row' }, name, h('span', { class: 'pb-State-type', title: row.fullType }, row.type)),
      h('td', { class: 'pb-State-value', title: value }, value),
      h('td', { class: 'pb-State-defined' }, h('span', { class: 'pb-State-cell' }, row.where), ...defined(row)),
      h('td', { class: 'pb-State-changed' }, row.changedBy === null ? h('span', { class: 'pb-Muted' }, 'unknown') : person(row.changedBy, row.changedBy.name))
    )
  }
}

/** Who ran the defining cell, and who wrote it when that was someone else. */
function defined(row: VariableRow): HTMLElement[] {
  if (row.ranBy === null) return []
  if (row.wroteBy === null) return [person(row.ranBy, row.ranBy.name)]
  return [person(row.wroteBy, `${row.wroteBy.name} wrote`), person(row.ranBy, `${row.ranBy.name} ran`)]
}

function person(who: PersonView, text: string): HTMLElement {
  return h('span', { class: 'pb-Person', style: `--pb-person:${who.color}` }, h('span', { class: 'pb-Person-dot', 'aria-hidden': 'true' }), text)
}

function selectCell(panel: NotebookPanel, index: number): void {
  panel.content.activeCellIndex = index
  panel.content.deselectAll()
  void panel.content.scrollToItem(index)
}
