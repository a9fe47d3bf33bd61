/** The review page `/notebooks/<notebook>/review?since=<commit|time>`: the session's net
 * change per cell, what a reviewer reads instead of the notebook's JSON diff. A sticky head
 * picks the start (a commit of the notebook, the start of the recording, or a time) and sums
 * up; then one card per changed cell, unchanged cells folded into a line between them. */

import type { Api, Me } from '../api'
import { h } from '../dom'
import { topbar } from '../pages/chrome'
import { notebookHref, replayHref, reviewHref } from '../routes'
import { cellCard, type Names, personChip } from './reviewCell'
import { type CellChange, fetchReview, type Review } from './reviewApi'
import './review.css'

export interface ReviewPageOptions {
  app: HTMLElement
  api: Api
  me: Me
  token: string
  path: string
}

export async function showReviewPage({ app, token, path }: ReviewPageOptions): Promise<void> {
  const name = path.split('/').pop() ?? path
  document.title = `Review of ${name} · pairbook`
  const main = h('main', { class: 'review-main' })
  app.replaceChildren(topbar(crumbs(path)), main)
  const since = new URLSearchParams(location.search).get('since')
  let review: Review
  try {
    review = await fetchReview(token, path, since)
  } catch (error) {
    main.append(h('div', { class: 'card message' }, h('h1', {}, 'No review'), h('p', {}, (error as Error).message), h('p', {}, h('a', { href: reviewHref(path) }, 'Review since the last commit'))))
    return
  }
  const names: Names = { people: review.people, serverColor: review.server_color }
  main.append(reviewHead(review, path, names), reviewBody(review.cells, names))
}

function crumbs(path: string): HTMLElement {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '/' }, 'Notebooks'),
    h('span', { 'aria-hidden': 'true' }, '/'),
    h('a', { href: notebookHref(path) }, path),
    h('span', { 'aria-hidden': 'true' }, '/'),
    h('span', { class: 'nb-title', 'aria-current': 'page' }, 'Review'),
    h('a', { class: 'btn small', href: replayHref(path), title: 'Replay this session' }, 'Replay')
  )
}

function when(ts: number | null): string {
  return ts === null ? 'now' : new Date(ts * 1000).toLocaleString()
}

/** What the span starts at, in words. */
export function sinceLabel(review: Review): string {
  const commit = review.since.commit
  if (commit !== null) return `commit ${commit.short} “${commit.subject}” (${commit.author}, ${when(commit.ts)})`
  if (review.since.kind === 'start') return `the start of the recording (${when(review.since.ts)})`
  return when(review.since.ts)
}

function reviewHead(review: Review, path: string, names: Names): HTMLElement {
  const picker = h('select', { class: 'review-since', 'aria-label': 'Review the changes since' })
  const current = review.since.commit?.sha ?? (review.since.kind === 'start' ? 'start' : 'time')
  for (const commit of review.commits) {
    picker.append(h('option', { value: commit.sha, selected: commit.sha === current }, `${commit.short} · ${commit.subject.slice(0, 60)} · ${commit.author} · ${when(commit.ts)}`))
  }
  if (review.recorded) {
    picker.append(h('option', { value: 'start', selected: current === 'start' }, 'The start of the recording'))
    picker.append(h('option', { value: 'time', selected: current === 'time' }, 'A time…'))
  }
  const time = h('input', { type: 'datetime-local', class: 'review-time', 'aria-label': 'Since this time', step: '1' })
  if (review.since.ts !== null) time.value = localInput(review.since.ts)
  time.hidden = current !== 'time'
  const go = (value: string): void => location.assign(reviewHref(path, value))
  picker.addEventListener('change', () => {
    if (picker.value === 'time') {
      time.hidden = false
      time.focus()
    } else if (picker.value === 'start') go('start')
    else go(picker.value)
  })
  time.addEventListener('change', () => {
    const ms = new Date(time.value).getTime()
    if (Number.isFinite(ms)) go(String(ms / 1000))
  })
  const counts = review.counts
  const figures = h(
    'p',
    { class: 'review-counts', 'aria-live': 'polite' },
    h('span', { class: 'review-badge changed' }, `${counts.changed} changed`),
    h('span', { class: 'review-badge added' }, `${counts.added} added`),
    h('span', { class: 'review-badge deleted' }, `${counts.deleted} deleted`),
    h('span', { class: 'review-badge moved' }, `${counts.moved} moved`),
    h('span', { class: 'review-badge runs' }, `${counts.runs} runs`),
    h('span', { class: 'muted' }, `${counts.unchanged} unchanged`)
  )
  const people = h('p', { class: 'review-people' }, ...Object.keys(review.people).map((id) => personChip(id, names)))
  const note = review.recorded ? null : h('p', { class: 'muted' }, 'This notebook has no recording yet: compared with the file on disk, without authors or runs.')
  return h(
    'div',
    { class: 'review-head' },
    h('div', { class: 'review-head-row' }, h('h1', {}, 'Changes since'), picker, time, h('span', { class: 'review-span muted' }, `${sinceLabel(review)} → ${when(review.until.ts)}`)),
    h('div', { class: 'review-head-row' }, figures, h('span', { class: 'spacer' }), people),
    note
  )
}

/** The value a datetime-local input takes for an epoch time, in the browser's time zone. */
export function localInput(ts: number): string {
  const date = new Date(ts * 1000)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

function reviewBody(cells: CellChange[], names: Names): HTMLElement {
  const body = h('div', { class: 'review-body' })
  let unchanged: CellChange[] = []
  const flush = (): void => {
    if (unchanged.length > 0) body.append(unchangedLine(unchanged))
    unchanged = []
  }
  for (const cell of cells) {
    if (cell.status === 'unchanged' && !cell.moved && cell.runs.length === 0) {
      unchanged.push(cell)
      continue
    }
    flush()
    body.append(cellCard(cell, names))
  }
  flush()
  if (cells.every((cell) => cell.status === 'unchanged' && !cell.moved)) body.prepend(h('p', { class: 'card review-nothing' }, 'Nothing changed in this span.'))
  return body
}

function unchangedLine(cells: CellChange[]): HTMLElement {
  const first = cells.map((cell) => cell.first_line ?? '').filter((line) => line !== '')
  return h(
    'details',
    { class: 'review-unchanged' },
    h('summary', {}, `${cells.length} unchanged cell${cells.length === 1 ? '' : 's'}`),
    h('ul', {}, ...first.map((line) => h('li', {}, h('code', {}, line))))
  )
}
