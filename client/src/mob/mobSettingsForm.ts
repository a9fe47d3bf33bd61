/** The owner's rotation settings form in the mob panel: turn length, auto handover, breaks,
 * the driver's grace and whether viewers may chat. */

import { button, h } from '../dom'
import type { MobSettings } from './mobState'

export class MobSettingsForm {
  readonly element: HTMLDetailsElement
  private readonly turn: HTMLInputElement
  private readonly auto: HTMLInputElement
  private readonly breaks: HTMLInputElement
  private readonly grace: HTMLInputElement
  private readonly viewers: HTMLInputElement

  /** `save` sends the `mob-settings` arguments (seconds, as the server stores them). */
  constructor(save: (args: Record<string, unknown>) => void) {
    this.turn = h('input', { type: 'number', min: 0.05, step: 'any', 'aria-label': 'Turn length in minutes', class: 'mob-turn-minutes' })
    this.auto = h('input', { type: 'checkbox', 'aria-label': 'Hand over automatically at the end of a turn' })
    this.breaks = h('input', { type: 'number', min: 0, step: 5, 'aria-label': 'Break reminder every N minutes (0: never)' })
    this.grace = h('input', { type: 'number', min: 0, step: 5, 'aria-label': 'Seconds a disconnected driver keeps the keyboard' })
    this.viewers = h('input', { type: 'checkbox', 'aria-label': 'Viewers may post to the chat' })
    const saveButton = button('Save', 'Save the rotation settings', () => save(this.read()), { class: 'btn small' })
    this.element = h(
      'details',
      { class: 'mob-settings' },
      h('summary', {}, 'Rotation settings'),
      h('label', {}, 'Turn (min) ', this.turn),
      h('label', {}, this.auto, ' hand over automatically'),
      h('label', {}, 'Break every (min) ', this.breaks),
      h('label', {}, 'Grace if the driver drops (s) ', this.grace),
      h('label', {}, this.viewers, ' viewers may chat'),
      saveButton
    )
  }

  /** The stored settings in the fields, unless the owner is editing them. */
  show(settings: MobSettings): void {
    if (this.element.contains(document.activeElement)) return
    this.turn.value = String(Number((settings.turn_seconds / 60).toFixed(2)))
    this.auto.checked = settings.auto_handover
    this.breaks.value = String(Math.round(settings.break_every / 60))
    this.grace.value = String(Math.round(settings.grace_seconds))
    this.viewers.checked = settings.viewer_chat
  }

  private read(): Record<string, unknown> {
    return {
      turn_seconds: Number(this.turn.value) * 60,
      auto_handover: this.auto.checked,
      break_every: Number(this.breaks.value) * 60,
      grace_seconds: Number(this.grace.value),
      viewer_chat: this.viewers.checked
    }
  }
}
