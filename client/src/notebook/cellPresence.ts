/** Who else is on a cell: their avatars in its gutter, their names on a tag, their colour
 * on its edge. */

import { h } from '../dom'
import { initials, inkOn, type Participant } from '../panels/presence'

export class CellPresence {
  readonly avatars: HTMLElement
  readonly tag: HTMLElement
  private signature = ''

  constructor(private readonly cell: HTMLElement) {
    this.avatars = h('div', { class: 'cell-avatars' })
    this.tag = h('div', { class: 'cell-presence-tag', hidden: true })
  }

  /** The other people whose selected cell this is. */
  set(people: readonly Participant[]): void {
    const signature = people.map((p) => `${p.clientId}:${p.name}:${p.color}:${p.mode}`).join('|')
    if (signature === this.signature) return
    this.signature = signature
    this.avatars.replaceChildren(
      ...people.map((p) =>
        h(
          'span',
          {
            class: `avatar avatar-small${p.mode === 'edit' ? ' typing' : ''}`,
            style: `--person:${p.color};--person-ink:${inkOn(p.color)}`,
            title: `${p.name} ${p.mode === 'edit' ? 'is editing' : 'is on'} this cell`
          },
          initials(p.name)
        )
      )
    )
    const first = people[0]
    this.cell.classList.toggle('has-people', first !== undefined)
    if (first === undefined) {
      this.cell.style.removeProperty('--presence')
      this.tag.hidden = true
      return
    }
    this.cell.style.setProperty('--presence', first.color)
    this.tag.hidden = false
    this.tag.textContent = people.map((p) => p.name).join(', ')
    this.tag.style.setProperty('--person', first.color)
    this.tag.style.setProperty('--person-ink', inkOn(first.color))
  }
}
