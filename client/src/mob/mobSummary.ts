/** The session summary dialog: who drove, changed and ran what, and the commit message. */

import { button, h } from '../dom'

export interface SummaryPerson {
  id: string
  name: string
  drove_seconds: number
  changed: string[]
  ran: string[]
  contributed: boolean
}

export function openSummaryDialog(people: SummaryPerson[], message: string, describeCell: (id: string) => string, review?: string): void {
  const minutes = (s: number) => (s < 60 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`)
  const cells = (ids: string[]) => (ids.length === 0 ? '—' : ids.map(describeCell).join(', '))
  const copy = button('Copy message', 'Copy the commit message', () => void navigator.clipboard?.writeText(message), { class: 'btn' })
  const dialog = h(
    'dialog',
    { class: 'dialog wide mob-summary', 'aria-labelledby': 'mob-summary-title' },
    h('h2', { id: 'mob-summary-title' }, 'Session summary'),
    h(
      'table',
      { class: 'mob-summary-table' },
      h('tr', {}, h('th', {}, 'Person'), h('th', {}, 'Drove'), h('th', {}, 'Changed'), h('th', {}, 'Ran')),
      ...people.map((p) => h('tr', { class: p.contributed ? '' : 'muted' }, h('td', {}, p.name), h('td', {}, minutes(p.drove_seconds)), h('td', {}, cells(p.changed)), h('td', {}, cells(p.ran))))
    ),
    // The server's path of this session's review page (only a path on this server is linked).
    review !== undefined && review.startsWith('/notebooks/') ? h('p', {}, h('a', { class: 'btn', href: review, target: '_blank', rel: 'noopener' }, 'Review the session’s changes, cell by cell')) : null,
    h('h3', {}, 'Commit message (pairbook commit writes it for you)'),
    h('pre', { class: 'mob-commit-message' }, message),
    h('div', { class: 'row end' }, copy, button('Close', 'Close the summary', () => dialog.close(), { class: 'btn' }))
  )
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
}
