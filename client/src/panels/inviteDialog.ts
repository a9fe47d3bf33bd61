/** The owner's Invite dialog: mint an editor or viewer link (how many may join, for how
 * long), show it, copy it. */

import type { Api } from '../api'
import { button, h } from '../dom'
import { notebookHref } from '../routes'

/** The invite link as the server made it, pointed at `notebook` when one is open: whoever
 * joins lands in it, not on the list. */
export function inviteLink(url: string, notebook: string | null): string {
  if (notebook === null) return url
  const link = new URL(url)
  link.pathname = notebookHref(notebook)
  return link.toString()
}

const EXPIRIES: Array<[string, number]> = [
  ['1 hour', 3600],
  ['1 day', 86400],
  ['7 days', 7 * 86400],
  ['30 days', 30 * 86400]
]
const DEFAULT_EXPIRY = 7 * 86400

export function openInviteDialog(api: Api, notebook: string | null = null): void {
  const output = h('input', { class: 'invite-url', readonly: true, 'aria-label': 'Invite link', placeholder: 'Pick a role to create a link' })
  const note = h('p', { class: 'muted', role: 'status' })
  const copy = button('Copy', 'Copy the invite link', () => void copyText(output, note), { class: 'btn' })
  copy.disabled = true
  const uses = h('input', { id: 'invite-uses', type: 'number', min: 1, max: 1000, value: 1, class: 'invite-uses' })
  const expiry = h(
    'select',
    { id: 'invite-expiry' },
    ...EXPIRIES.map(([label, seconds]) => h('option', { value: seconds, selected: seconds === DEFAULT_EXPIRY }, label))
  )
  const create = (role: 'editor' | 'viewer') => async () => {
    note.textContent = 'Creating…'
    try {
      const count = Math.max(1, Math.min(1000, Math.floor(Number(uses.value) || 1)))
      const invite = await api.invite(role, count, Number(expiry.value))
      output.value = inviteLink(invite.url, notebook)
      copy.disabled = false
      output.select()
      const who = count === 1 ? 'One person' : `Up to ${count} people`
      const until = new Date(invite.expires * 1000).toLocaleString()
      note.textContent = `${who} can join with this link until ${until}, ${role === 'editor' ? 'to edit' : 'to watch, read-only'}, under a name they pick.`
    } catch (error) {
      note.textContent = `Could not create the link: ${(error as Error).message}`
    }
  }
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite someone to pair'),
    h('p', {}, 'Whoever opens the link joins under a display name they pick, with the role you choose here. A link works for the number of people and the time you set.'),
    h('div', { class: 'row' }, h('label', { for: 'invite-uses' }, 'People who may join'), uses, h('label', { for: 'invite-expiry' }, 'Link works for'), expiry),
    h(
      'div',
      { class: 'row' },
      button('Editor link', 'Create an editor invite link', () => void create('editor')(), { class: 'btn primary' }),
      button('Viewer link', 'Create a viewer (read-only) invite link', () => void create('viewer')(), { class: 'btn' })
    ),
    h('div', { class: 'row' }, output, copy),
    note,
    h('div', { class: 'row end' }, button('Close', 'Close the invite dialog', () => dialog.close(), { class: 'btn' }))
  )
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
}

async function copyText(input: HTMLInputElement, note: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(input.value)
    note.textContent = 'Copied to the clipboard.'
  } catch {
    input.select()
    note.textContent = 'Selected: press Ctrl+C to copy.'
  }
}
