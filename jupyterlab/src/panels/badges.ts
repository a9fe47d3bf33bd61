/** Who ran each cell, in the footer of every cell of a JupyterLab notebook bound to a
 * pairbook room: "run by Ana · 2 min ago · [7]", in the runner's color. Drawn from the
 * room's `executions` and `kernel` maps, redrawn when they change, when a cell's source
 * changes ("edited since") and every half minute ("2 min ago"). */

import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'
import type * as Y from 'yjs'

import { DocMap } from '../../../client/src/schema'
import { h } from '../../../client/src/dom'
import { CellWalker } from './cellWalker'
import { badgeView, indexRuns, type RunIndex, sourceHash } from './runBadge'

/** The badge element's class; the footer gets `pb-HasRunBadge`. */
export const BADGE_CLASS = 'pb-RunBadge'

const REFRESH_MS = 30_000

export class RunBadges implements IDisposable {
  private readonly executions: Y.Map<unknown>
  private readonly kernel: Y.Map<unknown>
  private index: RunIndex
  private readonly timer: number
  /** Draws into each cell's footer: a cell JupyterLab has not drawn yet (windowed notebooks
   * draw them as they scroll in) gets its badge with its first drawing. */
  private readonly walker: CellWalker

  /** `now` is the server's time (seconds since the epoch). */
  constructor(private readonly panel: NotebookPanel, doc: Y.Doc, private readonly now: () => number) {
    this.walker = new CellWalker(panel, footerOf, () => this.render(), eraseBadge)
    this.executions = doc.getMap(DocMap.EXECUTIONS_MAP)
    this.kernel = doc.getMap(DocMap.KERNEL_MAP)
    this.index = this.reindex()
    this.executions.observeDeep(this.onRuns)
    this.kernel.observe(this.onRuns)
    panel.content.model?.contentChanged.connect(this.walker.schedule, this)
    this.timer = window.setInterval(this.walker.schedule, REFRESH_MS)
    this.render()
  }

  get isDisposed(): boolean {
    return this.walker.isDisposed
  }

  dispose(): void {
    if (this.walker.isDisposed) return
    this.executions.unobserveDeep(this.onRuns)
    this.kernel.unobserve(this.onRuns)
    this.panel.content.model?.contentChanged.disconnect(this.walker.schedule, this)
    window.clearInterval(this.timer)
    this.walker.dispose()
  }

  private readonly onRuns = (): void => {
    this.index = this.reindex()
    this.walker.schedule()
  }

  private reindex(): RunIndex {
    return indexRuns(this.executions.toJSON(), this.kernelRecordJson())
  }

  /** The kernel map without its variables view, which can be large and has its own panel. */
  private kernelRecordJson(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const key of ['status', 'queue', 'current', 'started_at']) {
      const value = this.kernel.get(key)
      out[key] = value !== null && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value
    }
    return out
  }

  /** Each cell's last source and its hash: typing in one cell hashes that cell only. */
  private readonly hashes = new WeakMap<Cell, { source: string; hash: string }>()

  private hashOf(cell: Cell): string {
    const source = cell.model.sharedModel.getSource()
    const known = this.hashes.get(cell)
    if (known !== undefined && known.source === source) return known.hash
    const hash = sourceHash(source)
    this.hashes.set(cell, { source, hash })
    return hash
  }

  private render(): void {
    const now = this.now()
    this.walker.walk((cell, footer) => this.renderCell(cell, footer, now))
  }

  private renderCell(cell: Cell, footer: HTMLElement, now: number): void {
    let badge = footer.querySelector<HTMLElement>(`.${BADGE_CLASS}`)
    const view = cell.model.type === 'code' ? badgeView(this.index, cell.model.id, () => this.hashOf(cell), now) : null
    if (view === null) {
      badge?.remove()
      footer.classList.remove('pb-HasRunBadge')
      return
    }
    if (badge === null) {
      badge = h('div', { class: BADGE_CLASS, role: 'status' }, h('span', { class: 'pb-RunBadge-dot', 'aria-hidden': 'true' }), h('span', { class: 'pb-RunBadge-text' }))
      footer.append(badge)
      footer.classList.add('pb-HasRunBadge')
    }
    badge.style.setProperty('--pb-person', view.color)
    badge.dataset.status = view.status
    badge.classList.toggle('pb-edited', view.edited)
    badge.classList.toggle('pb-gone', view.gone)
    const text = badge.querySelector('.pb-RunBadge-text')
    if (text !== null && text.textContent !== view.text) text.textContent = view.text
  }
}

function footerOf(cell: Cell): HTMLElement | null {
  return cell.node.querySelector<HTMLElement>('.jp-Cell-footer')
}

function eraseBadge(cell: Cell): void {
  cell.node.querySelector(`.${BADGE_CLASS}`)?.remove()
}
