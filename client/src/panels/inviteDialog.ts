/** The owner's Invite dialog: mint an editor or viewer link, show it, copy it. */

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

export function openInviteDialog(api: Api, notebook: string | null = null): void {
  const output = h('input', { class: 'invite-url', readonly: true, 'aria-label': 'Invite link', placeholder: 'Pick a role to create a link' })
  const note = h('p', { class: 'muted', role: 'status' })
  const copy = button('Copy', 'Copy the invite link', () => void copyText(output, note), { class: 'btn' })
  copy.disabled = true
  const create = (role: 'editor' | 'viewer') => async () => {
    note.textContent = 'Creating…'
    try {
      const invite = await api.invite(role)
      output.value = inviteLink(invite.url, notebook)
      copy.disabled = false
      output.select()
      note.textContent = role === 'editor' ? 'Whoever opens this link can edit, under a name they pick.' : 'Whoever opens this link can watch, read-only.'
    } catch (error) {
      note.textContent = `Could not create the link: ${(error as Error).message}`
    }
  }
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite someone to pair'),
    h('p', {}, 'Whoever opens the link joins under a display name they pick, with the role you choose here.'),
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
