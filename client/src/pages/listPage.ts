/** The notebook list: open one, or create a new one. */

import { type Api, ApiError, type Me } from '../api'
import { newNotebookPath, notebookHref } from '../routes'
import { button, h, icon, ICONS } from '../dom'
import { openInviteDialog } from '../panels/inviteDialog'
import { openPeopleDialog } from '../panels/peopleDialog'
import { topbar } from './chrome'

export async function showListPage(app: HTMLElement, api: Api, me: Me): Promise<void> {
  const list = h('ul', { class: 'notebook-list', 'aria-label': 'Notebooks' })
  const error = h('p', { class: 'error', role: 'alert' })
  const canCreate = me.role !== 'viewer'
  const name = h('input', { id: 'new-name', name: 'path', placeholder: 'analysis.ipynb', required: true, 'aria-label': 'New notebook name' })
  const form = canCreate
    ? h('form', { class: 'create', 'aria-label': 'Create a notebook' }, name, h('button', { type: 'submit', class: 'btn primary' }, 'Create notebook'))
    : null
  form?.addEventListener('submit', (event) => {
    event.preventDefault()
    error.replaceChildren()
    const path = newNotebookPath(name.value)
    api.createNotebook(path).then(
      (created) => location.assign(notebookHref(created.path)),
      (failure: Error) => {
        // Never written over: it is there to open, or the name is to change.
        if (failure instanceof ApiError && failure.status === 409) {
          error.replaceChildren(`${path} already exists: `, h('a', { href: notebookHref(path) }, `Open ${path}`), ' or pick another name.')
        } else {
          error.textContent = failure.message
        }
      }
    )
  })
  const invite = me.role === 'owner' ? button(h('span', {}, icon(ICONS.share), ' Invite'), 'Invite someone', () => openInviteDialog(api), { class: 'btn' }) : null
  const people = me.role === 'owner' ? button('People', 'People and access', () => openPeopleDialog(api), { class: 'btn' }) : null
  const who = me.user ? h('span', { class: 'whoami' }, `${me.user.name} · ${me.role}`) : null
  document.title = 'Notebooks · pairbook'
  app.replaceChildren(
    topbar(h('div', { class: 'spacer' }), who, people, invite),
    h('main', { class: 'page narrow' }, h('h1', {}, 'Notebooks'), form, error, list)
  )
  try {
    const notebooks = await api.notebooks()
    if (notebooks.length === 0) list.append(h('li', { class: 'muted' }, 'No notebooks here yet.'))
    for (const nb of notebooks) {
      const meta: string[] = []
      if (nb.cells !== undefined) meta.push(`${nb.cells} cell${nb.cells === 1 ? '' : 's'}`)
      if (nb.twin) meta.push(`paired with ${nb.twin}`)
      if (nb.peers) meta.push(`${nb.peers} ${nb.peers === 1 ? 'person' : 'people'} here now`)
      if (nb.error) meta.push(`cannot be read: ${nb.error}`)
      if (nb.conflict) meta.push(`conflict: ${nb.conflict}`)
      list.append(
        h(
          'li',
          {},
          h('a', { href: notebookHref(nb.path), class: 'notebook-link' }, h('span', { class: 'nb-name' }, nb.path), h('span', { class: 'nb-meta' }, meta.join(' · ')))
        )
      )
    }
  } catch (failure) {
    error.textContent = (failure as Error).message
  }
}
