/** A code cell's run line: the badge telling who ran it last, when, its count and whether
 * it changed since (or that a run is queued, running or waiting for input), and the list
 * of all its runs the badge opens. */

import { h } from '../dom'
import { GONE } from '../kernel/kernels'
import { badgeRecord, badgeText, describeRun, editedSince, type ExecutionRecord, sourceHash } from '../kernel/runs'
import { isColor } from '../panels/presence'
import type { CellHost } from './cellHost'

const NO_COLOR = '#8a93a6'

function personColor(record: ExecutionRecord): string {
  return record.user.color !== undefined && isColor(record.user.color) ? record.user.color : NO_COLOR
}

export class CellRuns {
  readonly element: HTMLElement
  private readonly badge: HTMLButtonElement
  private readonly list: HTMLElement
  private hashed: { source: string; hash: string } | null = null
  /** The run the badge tells of (null: the cell never ran). */
  record: ExecutionRecord | null = null

  constructor(
    private readonly host: Pick<CellHost, 'runs' | 'times'>,
    private readonly cellId: () => string
  ) {
    this.badge = h('button', {
      type: 'button',
      class: 'run-badge',
      'aria-expanded': 'false',
      title: 'Show this cell’s runs',
      onclick: (event: Event) => {
        event.stopPropagation()
        this.toggle()
      }
    })
    this.list = h('ol', { class: 'run-list', hidden: true, 'aria-label': 'Runs of this cell, newest first' })
    this.element = h('div', { class: 'cell-run', hidden: true }, this.badge, this.list)
  }

  /** Draws the badge (and the list if open) for the cell's current source; marks `cell`
   * with the run's status. Returns the cell's runs, newest first. */
  render(cell: HTMLElement, source: string): ExecutionRecord[] {
    const runs = this.host.runs.cellRuns(this.cellId())
    const record = badgeRecord(runs)
    this.record = record
    if (record === null) {
      this.element.hidden = true
      delete cell.dataset.run
      return runs
    }
    if (this.hashed?.source !== source) this.hashed = { source, hash: sourceHash(source) }
    const edited = editedSince(record, this.hashed.hash)
    const { frame } = this.host.times
    const now = this.host.times.now()
    this.element.hidden = false
    cell.dataset.run = record.status
    this.element.dataset.status = record.status
    this.element.classList.toggle('edited', edited)
    const gone = this.host.runs.fromGoneKernel(record)
    this.element.classList.toggle('gone', gone)
    this.badge.style.setProperty('--person', personColor(record))
    const text = badgeText(record, now, edited, frame) + (gone ? ` · ${GONE}` : '')
    this.badge.replaceChildren(h('span', { class: 'run-dot', 'aria-hidden': 'true' }), h('span', { class: 'run-text' }, text))
    this.badge.setAttribute('aria-label', `${text}: show this cell’s runs`)
    if (!this.list.hidden) this.renderList(runs, now)
    return runs
  }

  private toggle(): void {
    const open = this.list.hidden
    this.list.hidden = !open
    this.badge.setAttribute('aria-expanded', String(open))
    if (open) this.renderList(this.host.runs.cellRuns(this.cellId()), this.host.times.now())
  }

  private renderList(runs: ExecutionRecord[], now: number): void {
    this.list.replaceChildren(
      ...runs.map((record) =>
        h(
          'li',
          { class: 'run-list-item', 'data-status': record.status, style: `--person:${personColor(record)}` },
          h('span', { class: 'run-dot', 'aria-hidden': 'true' }),
          describeRun(record, now, this.host.times.frame)
        )
      )
    )
  }
}
