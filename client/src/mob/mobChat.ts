/** The room chat in the mob panel: the last messages and the box to post one. */

import { h } from '../dom'
import { chatRefusal, type MobState } from './mobState'

export class MobChat {
  readonly element: HTMLDetailsElement
  private readonly list: HTMLOListElement
  private readonly input: HTMLInputElement
  private readonly send: HTMLButtonElement

  /** `post` sends the text; it resolves true when the server took it (the box then empties). */
  constructor(private readonly post: (text: string) => Promise<boolean>) {
    this.list = h('ol', { class: 'mob-chat-list', 'aria-label': 'Chat messages', 'aria-live': 'polite' })
    this.input = h('input', { type: 'text', class: 'mob-chat-input', placeholder: 'Message the room…', 'aria-label': 'Chat message', maxlength: 2000 })
    this.send = h('button', { type: 'submit', class: 'btn small' }, 'Send')
    const form = h('form', { class: 'mob-chat-form' }, this.input, this.send)
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.submit()
    })
    this.element = h('details', { class: 'mob-chat', open: true }, h('summary', {}, 'Chat'), this.list, form)
  }

  /** The last hundred messages, and the box enabled only for those who may post. */
  render(state: MobState, viewer: boolean): void {
    const refusal = chatRefusal(state, viewer)
    this.input.disabled = this.send.disabled = refusal !== null
    this.input.placeholder = refusal === null ? 'Message the room…' : 'Viewers read the chat'
    this.input.title = refusal ?? ''
    const messages = state.chat.slice(-100)
    this.list.replaceChildren(
      ...messages.map((m) =>
        h(
          'li',
          { class: 'mob-chat-message', style: `--person:${m.user.color}` },
          h('span', { class: 'mob-chat-who' }, m.user.name),
          m.role === 'viewer' ? h('span', { class: 'mob-chat-role muted' }, 'viewer') : null,
          h('span', { class: 'mob-chat-time muted' }, new Date(m.at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
          h('span', { class: 'mob-chat-text' }, m.text)
        )
      )
    )
    this.list.scrollTop = this.list.scrollHeight
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim()
    if (text === '') return
    if (await this.post(text)) this.input.value = ''
  }
}
