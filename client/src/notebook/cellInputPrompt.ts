/** An input() prompt of a run this person asked for: a field under a code cell's outputs. */

import type { InputRequest } from '../commands'
import { h } from '../dom'
import { type ExecutionRecord, isFinished } from '../kernel/runs'

export class CellInputPrompt {
  private form: HTMLFormElement | null = null
  private execution: string | null = null

  /** `cell` gets the keyboard back when the prompt goes; `reply` sends the answer. */
  constructor(
    private readonly cell: HTMLElement,
    private readonly reply: (execution: string, value: string) => void
  ) {}

  /** Shows the prompt after `anchor` (replacing one shown before) and focuses its field. */
  ask(request: InputRequest, anchor: HTMLElement): void {
    this.form?.remove()
    const field = h('input', {
      type: request.password ? 'password' : 'text',
      class: 'input-field',
      'aria-label': request.prompt.trim() || 'Input for the running cell',
      autocomplete: 'off'
    })
    const form = h(
      'form',
      { class: 'cell-input-request' },
      h('label', { class: 'input-prompt' }, request.prompt || 'Input:'),
      field,
      h('button', { type: 'submit', class: 'btn small primary' }, 'Send')
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.reply(request.execution, field.value)
      this.clear()
    })
    // Keys typed here are for the prompt, not the notebook's command mode.
    form.addEventListener('keydown', (event) => event.stopPropagation())
    this.form = form
    this.execution = request.execution
    anchor.after(form)
    field.focus()
  }

  /** Removes the prompt once the run that asked has finished. */
  clearIfFinished(runs: readonly ExecutionRecord[]): void {
    if (this.execution === null) return
    const asked = runs.find((r) => r.id === this.execution)
    if (asked !== undefined && isFinished(asked)) this.clear()
  }

  /** Removes the prompt; the keyboard, if it was there, goes back to the cell (command mode). */
  private clear(): void {
    if (this.form?.contains(document.activeElement) === true) this.cell.focus({ preventScroll: true })
    this.form?.remove()
    this.form = null
    this.execution = null
  }
}
