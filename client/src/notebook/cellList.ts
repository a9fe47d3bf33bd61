/** The notebook's cells on screen: one CellView per cell of the shared model, in document
 * order, kept in step with the model's changes; only cells near the viewport get a live
 * editor. */

import type { YCellType } from '@jupyter/ydoc'

import { h } from '../dom'
import type { Participant } from '../panels/presence'
import { numberCells } from './cellNumbers'
import type { CellHost } from './cellHost'
import { CellView } from './cellView'

/** A change to the model's `cells` array, as @jupyter/ydoc reports it. */
export type CellsDelta = Array<{ insert?: YCellType[]; delete?: number; retain?: number }>

/** Cells within this distance of the viewport get a live editor. */
const NEAR_MARGIN = '900px 0px'

export class CellList {
  readonly element: HTMLElement
  private readonly views: CellView[] = []
  private readonly byElement = new WeakMap<Element, CellView>()
  private readonly observer: IntersectionObserver
  private people = new Map<string, Participant[]>()
  private scrollCheck = 0

  constructor(private readonly host: CellHost) {
    this.element = h('div', { class: 'cells', role: 'list', 'aria-label': 'Notebook cells' })
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) this.byElement.get(entry.target)?.setNear(entry.isIntersecting)
      },
      { rootMargin: NEAR_MARGIN }
    )
  }

  get all(): readonly CellView[] {
    return this.views
  }

  get length(): number {
    return this.views.length
  }

  at(index: number): CellView | undefined {
    return this.views[index]
  }

  indexOf(cell: CellView): number {
    return this.views.indexOf(cell)
  }

  includes(cell: CellView): boolean {
    return this.views.includes(cell)
  }

  cellById(id: string): CellView | null {
    return this.views.find((view) => view.id === id) ?? null
  }

  /** The cell holding this node, or null. */
  cellOf(node: Element): CellView | null {
    const element = node.closest('.cell')
    return element === null ? null : (this.byElement.get(element) ?? null)
  }

  /** Adds views for the model's cells at `index`. */
  insert(index: number, models: readonly YCellType[]): void {
    const before = this.views[index]?.element ?? null
    const created = models.map((model) => new CellView(model, this.host))
    const fragment = document.createDocumentFragment()
    for (const view of created) {
      fragment.append(view.element)
      this.byElement.set(view.element, view)
    }
    this.element.insertBefore(fragment, before)
    this.views.splice(index, 0, ...created)
    for (const view of created) {
      this.observer.observe(view.element)
      view.setPeople(this.people.get(view.id) ?? [])
    }
  }

  /** Follows a change of the model's `cells` array; the cells are numbered again. */
  apply(delta: CellsDelta): void {
    let index = 0
    for (const step of delta) {
      if (step.retain !== undefined) {
        index += step.retain
      } else if (step.delete !== undefined) {
        for (const view of this.views.splice(index, step.delete)) {
          this.observer.unobserve(view.element)
          view.destroy()
        }
      } else if (step.insert !== undefined) {
        this.insert(index, step.insert)
        index += step.insert.length
      }
    }
    this.renumber()
  }

  renumber(): void {
    numberCells(this.views)
  }

  /** Shows who else is in which cell. */
  setPeople(byCell: Map<string, Participant[]>): void {
    this.people = byCell
    for (const view of this.views) view.setPeople(byCell.get(view.id) ?? [])
  }

  /** Scrolls so that the cell is in the middle of the screen (follow mode). */
  scrollToCell(id: string): void {
    const cell = this.cellById(id)
    if (cell === null) return
    cell.element.scrollIntoView({ block: 'center', behavior: 'smooth' })
    // Cells far away have estimated heights (content-visibility): as they are laid out during
    // the smooth scroll the target can move, and the scroll can end short of it. Check once it
    // has settled and jump the rest of the way.
    window.clearTimeout(this.scrollCheck)
    this.scrollCheck = window.setTimeout(() => {
      const box = cell.element.getBoundingClientRect()
      if (box.bottom < 0 || box.top > window.innerHeight) cell.element.scrollIntoView({ block: 'center' })
    }, 700)
  }

  /** The id of the cell at `y` pixels from the viewport's top (or the first below it). */
  cellIdAt(y: number): string | null {
    let low = 0
    let high = this.views.length - 1
    let found: CellView | null = null
    while (low <= high) {
      const mid = (low + high) >> 1
      const view = this.views[mid]!
      if (view.element.getBoundingClientRect().bottom > y) {
        found = view
        high = mid - 1
      } else {
        low = mid + 1
      }
    }
    return found?.id ?? null
  }

  destroy(): void {
    window.clearTimeout(this.scrollCheck)
    this.observer.disconnect()
    for (const view of this.views) view.destroy()
    this.views.length = 0
  }
}
