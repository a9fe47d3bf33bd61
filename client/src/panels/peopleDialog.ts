/** The owner's People/Access dialog: who has a token, which invites are open, the owner's
 * own logins; revoking any of them closes that person's connections at once. */

import type { AccessEntry, Api, People } from '../api'
import { button, h } from '../dom'

export function openPeopleDialog(api: Api): void {
  const body = h('div', { class: 'access' })
  const note = h('p', { class: 'muted', role: 'status' })
  const dialog = h(
    'dialog',
    { class: 'dialog wide', 'aria-labelledby': 'people-title' },
    h('h2', { id: 'people-title' }, 'People and access'),
    h('p', {}, 'Everyone who can open these notebooks. Revoking someone ends their connections at once; their link stops working.'),
    body,
    note,
    h('div', { class: 'row end' }, button('Close', 'Close the people dialog', () => dialog.close(), { class: 'btn' }))
  )
  const load = async (): Promise<void> => {
    try {
      render(body, await api.people(), revoke)
    } catch (error) {
      note.textContent = `Could not list the people: ${(error as Error).message}`
    }
  }
  const revoke = async (entry: AccessEntry): Promise<void> => {
    if (!confirm(`Revoke ${describe(entry)}? ${entry.kind === 'invite' ? 'The link stops working.' : 'Their connections close now and their link stops working.'}`)) return
    try {
      await api.revoke(entry)
      note.textContent = `Revoked ${describe(entry)}.`
    } catch (error) {
      note.textContent = `Could not revoke: ${(error as Error).message}`
    }
    await load()
  }
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
  void load()
}

function render(body: HTMLElement, people: People, revoke: (entry: AccessEntry) => Promise<void>): void {
  const row = (entry: AccessEntry, cells: string[]): HTMLElement =>
    h(
      'tr',
      { 'data-id': entry.id },
      ...cells.map((text) => h('td', {}, text)),
      h('td', {}, entry.you ? h('span', { class: 'muted' }, 'this browser') : button('Revoke', `Revoke ${describe(entry)}`, () => void revoke(entry), { class: 'btn small danger' }))
    )
  const table = (caption: string, heads: string[], rows: HTMLElement[], empty: string): HTMLElement =>
    h(
      'section',
      {},
      h('h3', {}, caption),
      rows.length === 0
        ? h('p', { class: 'muted' }, empty)
        : h('table', { class: 'access-table', 'aria-label': caption }, h('thead', {}, h('tr', {}, ...[...heads, ''].map((text) => h('th', {}, text)))), h('tbody', {}, ...rows))
    )
  body.replaceChildren(
    table(
      'People',
      ['Name', 'Role', 'Joined', 'Last seen', 'Online'],
      people.people.map((p) => row(p, [p.user?.name ?? p.id, p.role, when(p.created), when(p.last_seen), p.online ? `${p.online} connection${p.online === 1 ? '' : 's'}` : '—'])),
      'Nobody has joined yet: use Invite to send a link.'
    ),
    table(
      'Open invites',
      ['Role', 'Created', 'Uses left', 'Expires'],
      people.invites.map((i) => row(i, [i.role, when(i.created), String(i.uses_left ?? ''), when(i.expires ?? null)])),
      'No open invite links.'
    ),
    table(
      'Owner logins',
      ['Note', 'Created', 'Last seen'],
      people.owner_logins.map((o) => row(o, [o.label || 'owner login', when(o.created), when(o.last_seen)])),
      'Only the link given with --owner-token.'
    )
  )
}

function describe(entry: AccessEntry): string {
  if (entry.kind === 'person') return entry.user?.name ?? entry.id
  if (entry.kind === 'invite') return `the ${entry.role} invite created ${when(entry.created)}`
  return `the owner login “${entry.label || entry.id}”`
}

function when(ts: number | null): string {
  return ts === null ? '—' : new Date(ts * 1000).toLocaleString()
}
