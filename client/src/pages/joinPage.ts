/** An invite link was opened: the person picks a display name and gets a personal token. */

import type { Api, Joined, Role } from '../api'
import { h } from '../dom'
import { topbar } from './chrome'

export function showJoinPage(app: HTMLElement, api: Api, invite: string, role: Role): Promise<Joined> {
  return new Promise((resolve) => {
    const input = h('input', { id: 'join-name', name: 'name', required: true, maxlength: 64, autocomplete: 'nickname', placeholder: 'e.g. Ada' })
    const email = h('input', { id: 'join-email', name: 'email', type: 'email', maxlength: 200, autocomplete: 'email', placeholder: 'ada@example.org' })
    const error = h('p', { class: 'error', role: 'alert' })
    const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Join')
    const form = h(
      'form',
      { class: 'card join', 'aria-labelledby': 'join-title' },
      h('h1', { id: 'join-title' }, 'Join the pairing session'),
      h('p', {}, role === 'viewer' ? 'You are invited to watch (read-only).' : 'You are invited to edit notebooks together.', ' Your partners will see you under this name.'),
      h('label', { for: 'join-name' }, 'Your display name'),
      h('div', { class: 'row' }, input),
      h('label', { for: 'join-email' }, 'Email (optional: credits you as a co-author in commits)'),
      h('div', { class: 'row' }, email, submit),
      error
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      submit.disabled = true
      api.join(invite, input.value, email.value).then(resolve, (failure: Error) => {
        error.textContent = failure.message
        submit.disabled = false
      })
    })
    document.title = 'Join · pairbook'
    app.replaceChildren(topbar(), h('main', { class: 'page narrow' }, form))
    input.focus()
  })
}
