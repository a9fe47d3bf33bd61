/** One cell of the review: a card with what happened to it, its source side by side (each
 * line of the new side in the colour of who wrote it), its outputs before and after, and the
 * runs that produced them. Every notebook text goes into the page as text, never markup. */

import type { UserRecord } from '../schema'
import { h } from '../dom'
import type { CellChange, DiffRow, OutputView, RightLine, RunView } from './reviewApi'

/** Unchanged lines shown around a change; longer stretches fold into one row. */
export const CONTEXT = 3

export interface Names {
  people: Record<string, UserRecord>
  serverColor: string
}

const COLOR = /^#[0-9a-fA-F]{3,8}$/
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg'])

/** Who a user id is, as the page shows them: the server's own lines are "the file". */
export function personOf(id: string, names: Names): UserRecord {
  if (id === '' || id.startsWith('pairbook:')) return { id, name: 'the file', color: names.serverColor }
  return names.people[id] ?? { id, name: id, color: names.serverColor }
}

function swatch(person: UserRecord): HTMLElement {
  const chip = h('span', { class: 'review-person' }, h('span', { class: 'legend-swatch', 'aria-hidden': 'true' }), person.name)
  chip.style.setProperty('--who', COLOR.test(person.color) ? person.color : '#8a93a6')
  return chip
}

export function personChip(id: string, names: Names): HTMLElement {
  return swatch(personOf(id, names))
}

function headline(cell: CellChange): string {
  const type = cell.before_type !== null && cell.before_type !== cell.cell_type ? `${cell.before_type} → ${cell.cell_type}` : cell.cell_type
  const at = cell.index_after !== null ? `Cell ${cell.index_after + 1}` : `Was cell ${(cell.index_before ?? 0) + 1}`
  return `${at} · ${type}`
}

export function cellCard(cell: CellChange, names: Names): HTMLElement {
  const badges = h('span', { class: 'review-badges' }, h('span', { class: `review-badge ${cell.status}` }, cell.status))
  if (cell.moved && cell.index_before !== null && cell.index_after !== null) {
    badges.append(h('span', { class: 'review-badge moved' }, `moved ${cell.index_before + 1} → ${cell.index_after + 1}`))
  }
  if (cell.outputs_changed) badges.append(h('span', { class: 'review-badge outputs' }, 'outputs changed'))
  const authors = h('span', { class: 'review-authors' }, ...cell.authors.map((id) => personChip(id, names)))
  const card = h(
    'section',
    { class: `review-cell ${cell.status}`, 'data-cell-id': cell.id, 'aria-label': headline(cell) },
    h('header', { class: 'review-cell-head' }, h('h2', {}, headline(cell)), badges, h('span', { class: 'spacer' }), authors)
  )
  if (cell.status !== 'unchanged') card.append(diffTable(cell.rows, names))
  const hadOutputs = cell.outputs_after.length > 0 || cell.outputs_before.length > 0
  if (hadOutputs || (cell.cell_type === 'code' && cell.status !== 'deleted')) card.append(outputsBlock(cell))
  if (cell.runs.length > 0) card.append(runList(cell.runs, names))
  return card
}

/** The side-by-side diff; long unchanged stretches fold into a row that unfolds on click. */
export function diffTable(rows: DiffRow[], names: Names): HTMLElement {
  const table = h('div', { class: 'review-diff', role: 'table', 'aria-label': 'Source, before and after' })
  table.append(h('div', { class: 'review-diff-head', role: 'row' }, h('span', { role: 'columnheader' }, 'Before'), h('span', { role: 'columnheader' }, 'After')))
  let last: string | null = null
  for (const part of foldRows(rows)) {
    if ('folded' in part) {
      const fold = h('button', { type: 'button', class: 'review-fold', 'aria-label': `Show ${part.folded.length} unchanged lines` }, `⋯ ${part.folded.length} unchanged lines`)
      fold.addEventListener('click', () => fold.replaceWith(...part.folded.map((row) => diffRow(row, names, null))))
      table.append(fold)
      last = null
      continue
    }
    table.append(diffRow(part.row, names, last))
    last = part.row.right?.user ?? null
  }
  return table
}

type Part = { row: DiffRow } | { folded: DiffRow[] }

/** Rows with every run of more than 2×CONTEXT+1 equal rows folded down to its context. */
export function foldRows(rows: DiffRow[]): Part[] {
  const parts: Part[] = []
  let index = 0
  while (index < rows.length) {
    if (rows[index]!.kind !== 'equal') {
      parts.push({ row: rows[index]! })
      index++
      continue
    }
    let end = index
    while (end < rows.length && rows[end]!.kind === 'equal') end++
    const head = index === 0 ? 0 : CONTEXT
    const tail = end === rows.length ? 0 : CONTEXT
    if (end - index > head + tail + 1) {
      rows.slice(index, index + head).forEach((row) => parts.push({ row }))
      parts.push({ folded: rows.slice(index + head, end - tail) })
      rows.slice(end - tail, end).forEach((row) => parts.push({ row }))
    } else {
      rows.slice(index, end).forEach((row) => parts.push({ row }))
    }
    index = end
  }
  return parts
}

function diffRow(row: DiffRow, names: Names, previousUser: string | null): HTMLElement {
  const [before, after] = row.kind === 'changed' && row.left !== null && row.right !== null ? changedSpans(row.left.text, row.right.text) : [null, null]
  const left = row.left === null ? h('div', { class: 'review-side empty', role: 'cell' }) : h('div', { class: 'review-side left', role: 'cell' }, h('span', { class: 'review-no' }, String(row.left.no)), code(row.left.text, before))
  const right = row.right === null ? h('div', { class: 'review-side empty', role: 'cell' }) : rightSide(row.right, row.kind !== 'equal', names, previousUser, after)
  return h('div', { class: `review-row ${row.kind}`, role: 'row' }, left, right)
}

/** Where two versions of a line differ: [start, end) on each, between their common prefix
 * and suffix (enough to point the eye at the change; the line's own diff is the row). */
export function changedSpans(before: string, after: string): [[number, number], [number, number]] {
  let start = 0
  while (start < before.length && start < after.length && before[start] === after[start]) start++
  let end = 0
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++
  return [[start, before.length - end], [start, after.length - end]]
}

/** A line of code as text, its changed span (if any) marked. */
function code(text: string, span: [number, number] | null): HTMLElement {
  if (span === null || span[0] >= span[1]) return h('code', {}, text)
  return h('code', {}, text.slice(0, span[0]), h('mark', {}, text.slice(span[0], span[1])), text.slice(span[1]))
}

function rightSide(line: RightLine, changed: boolean, names: Names, previousUser: string | null, span: [number, number] | null): HTMLElement {
  const person = personOf(line.user, names)
  const who = h('span', { class: 'review-blame', title: blameTitle(line, names) }, changed && line.user !== previousUser ? person.name : '')
  const side = h('div', { class: 'review-side right', role: 'cell' }, who, h('span', { class: 'review-no' }, String(line.no)), code(line.text, span))
  side.style.setProperty('--who', COLOR.test(person.color) ? person.color : names.serverColor)
  return side
}

function blameTitle(line: RightLine, names: Names): string {
  const people = line.authors.map((id) => personOf(id, names).name).join(', ')
  const when = line.ts > 0 ? ` at ${new Date(line.ts * 1000).toLocaleString()}` : ''
  return `Last changed by ${personOf(line.user, names).name}${when}${people ? ` (written by ${people})` : ''}`
}

function outputsBlock(cell: CellChange): HTMLElement {
  if (!cell.outputs_changed) {
    return h('div', { class: 'review-outputs same' }, h('h3', {}, 'Outputs'), h('p', { class: 'muted' }, cell.outputs_after.length > 0 || cell.status === 'unchanged' ? 'Unchanged.' : 'None.'), ...cell.outputs_after.map(outputView))
  }
  const side = (title: string, outputs: OutputView[]): HTMLElement =>
    h('div', { class: 'review-output-side' }, h('h3', {}, title), ...(outputs.length === 0 ? [h('p', { class: 'muted' }, 'No output.')] : outputs.map(outputView)))
  return h('div', { class: 'review-outputs changed' }, side('Outputs before', cell.outputs_before), side('Outputs after', cell.outputs_after))
}

export function outputView(output: OutputView): HTMLElement {
  const box = h('div', { class: `review-output ${output.type}${output.mime === 'stderr' ? ' stderr' : ''}` })
  if (output.image !== undefined && output.mime !== undefined && IMAGE_TYPES.has(output.mime)) {
    box.append(h('img', { src: `data:${output.mime};base64,${output.image}`, alt: 'Image output' }))
  }
  if (output.text !== '') box.append(h('pre', {}, output.text))
  if (output.truncated > 0) box.append(h('p', { class: 'muted' }, `… ${output.truncated} more characters`))
  if (output.image === undefined && output.mime !== undefined && output.mime !== 'stderr') box.append(h('p', { class: 'muted review-mime' }, `(${output.mime} output, not shown here)`))
  return box
}

function runList(runs: RunView[], names: Names): HTMLElement {
  const items = runs.map((run) => {
    const who = personChip(run.user.id ?? '', names)  // the server names every runner in people
    const when = run.started_at !== null ? new Date(run.started_at * 1000).toLocaleTimeString() : ''
    const count = run.execution_count !== null ? `[${run.execution_count}]` : ''
    return h('li', { class: `review-run ${run.status}` }, 'Run by ', who, ` at ${when} ${count} · ${run.status}`, run.produced_outputs ? h('strong', { class: 'review-produced' }, ' · produced the outputs shown') : null)
  })
  return h('div', { class: 'review-runs' }, h('h3', {}, `Runs (${runs.length})`), h('ul', {}, ...items))
}
