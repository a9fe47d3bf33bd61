/** The room's Check (issue #16): a button that asks the server to run `pairbook check` on
 * the notebook (editors; one check at a time per room), and in the page header the last
 * check's verdict, live while it runs. Both read pairbook's own `check` map, so everyone
 * sees the same; a click on the verdict opens the report. */

import * as Y from 'yjs'

import type { CommandReply } from '../commands'
import { button, h, relabel } from '../dom'
import { toast } from '../panels/status'
import { DocMap, type UserRecord } from '../schema'

export interface CheckCell {
  index: number
  cell_id: string
  verdict: string
  detail: string
  seconds: number
}

export interface CheckReport {
  notebook: string
  passed: boolean
  error: string
  requirements_source: string
  environment: string
  seconds: number
  counts: Record<string, number>
  cells: CheckCell[]
}

/** The `check` map (`CheckRecord` in pairbook/schema.py). */
export interface CheckState {
  status?: 'running' | 'done' | 'stopped'
  by?: UserRecord
  started_at?: number
  finished_at?: number | null
  progress?: string
  verdict?: 'passed' | 'failed' | 'error'
  summary?: string
  report?: CheckReport
}

/** The header's words for a check state (null: no check yet). */
export function verdictText(state: CheckState): { text: string; kind: string; title: string } | null {
  if (state.status === 'running') {
    const progress = state.progress ?? ''
    const step = /\[(\d+)\/(\d+)\]/.exec(progress)
    return { text: step !== null ? `Checking… ${step[1]}/${step[2]}` : 'Checking…', kind: 'running', title: `${state.by?.name ?? 'Someone'} is checking the notebook in a fresh environment: ${progress}` }
  }
  if (state.status === 'stopped') return { text: 'Check stopped', kind: 'error', title: state.progress ?? 'The check did not finish.' }
  if (state.status !== 'done') return null
  const who = state.by?.name ?? 'someone'
  if (state.verdict === 'passed') return { text: '✓ Check passed', kind: 'passed', title: `Checked by ${who}: ${state.summary ?? ''}` }
  const counts = state.report?.counts ?? {}
  const bad = ['failed', 'differs', 'hidden-state', 'timed-out', 'not-run'].reduce((n, key) => n + (counts[key] ?? 0), 0)
  const total = state.report?.cells.length ?? 0
  if (state.verdict === 'error') return { text: '✗ Check error', kind: 'failed', title: state.summary ?? 'The check could not run.' }
  return { text: `✗ Check failed: ${bad} of ${total} cells`, kind: 'failed', title: `Checked by ${who}: ${state.summary ?? ''}` }
}

export interface CheckControlOptions {
  doc: Y.Doc
  canCheck: boolean
  request: (command: 'check') => Promise<CommandReply | null>
  /** "cell 3" or "a deleted cell", for the report's lines. */
  describeCell: (id: string) => string
  jumpTo: (id: string) => void
}

export class CheckControl {
  /** The toolbar's Check button (null for viewers). */
  readonly button: HTMLButtonElement | null
  /** The last verdict, for the page header (empty until a check ran). */
  readonly verdict: HTMLButtonElement
  private readonly ycheck: Y.Map<unknown>
  private lastStatus: string | undefined

  constructor(private readonly options: CheckControlOptions) {
    this.ycheck = options.doc.getMap(DocMap.CHECK_MAP)
    this.button = options.canCheck
      ? button(h('span', {}, 'Check'), 'Check the notebook in a fresh environment', () => void this.start(), { class: 'tool check-tool' })
      : null
    this.verdict = button('', 'Show the last check’s report', () => this.openReport(), { class: 'check-verdict' })
    this.verdict.hidden = true
    this.ycheck.observe(() => this.render())
    this.render()
  }

  private get state(): CheckState {
    return this.ycheck.toJSON() as CheckState
  }

  private async start(): Promise<void> {
    const reply = await this.options.request('check')
    if (reply === null) toast('Not connected yet: try again in a moment.')
    else if (!reply.ok) toast(`Could not check the notebook: ${reply.error ?? 'refused'}.`)
  }

  private render(): void {
    const state = this.state
    const shown = verdictText(state)
    this.verdict.hidden = shown === null
    if (shown !== null) {
      relabel(this.verdict, shown.text, shown.title)
      this.verdict.dataset.kind = shown.kind
    }
    const running = state.status === 'running'
    if (this.button !== null) {
      this.button.disabled = running
      relabel(this.button, h('span', {}, running ? 'Checking…' : 'Check'), 'Check the notebook in a fresh environment')
    }
    // Everyone hears when a check they saw running ends.
    if (this.lastStatus === 'running' && state.status === 'done' && shown !== null) toast(`${shown.text}${state.summary ? ` — ${state.summary}` : ''}`)
    this.lastStatus = state.status
  }

  /** The report of the last check, cell by cell. */
  openReport(): void {
    const state = this.state
    const report = state.report
    const rows = (report?.cells ?? []).map((cell) =>
      h(
        'tr',
        { class: `check-row ${cell.verdict}` },
        h('td', {}, button(this.options.describeCell(cell.cell_id), `Go to ${this.options.describeCell(cell.cell_id)}`, () => {
          dialog.close()
          this.options.jumpTo(cell.cell_id)
        }, { class: 'link' })),
        h('td', { class: 'check-verdict-cell' }, cell.verdict),
        h('td', {}, cell.detail)
      )
    )
    const dialog = h(
      'dialog',
      { class: 'dialog wide check-report', 'aria-labelledby': 'check-title' },
      h('h2', { id: 'check-title' }, 'Check report'),
      h('p', {}, state.summary ?? (state.status === 'running' ? `Running: ${state.progress ?? ''}` : 'No check has run yet.')),
      report !== undefined ? h('p', { class: 'muted' }, `Requirements: ${report.requirements_source}. Checked by ${state.by?.name ?? 'someone'}.`) : null,
      report?.error ? h('pre', { class: 'check-error' }, report.error) : null,
      rows.length > 0 ? h('table', { class: 'check-cells' }, h('tr', {}, h('th', {}, 'Cell'), h('th', {}, 'Verdict'), h('th', {}, 'Why')), ...rows) : null,
      h('div', { class: 'row end' }, button('Close', 'Close the report', () => dialog.close(), { class: 'btn' }))
    )
    dialog.addEventListener('close', () => dialog.remove())
    document.body.append(dialog)
    dialog.showModal()
  }
}
