/** The participant list: names and colors, where each person is, and follow mode. */

import { button, h } from '../dom'
import { groupByPerson, initials, inkOn, type Participant, type PersonTabs } from './presence'

export interface ParticipantsOptions {
  /** Where a cell id is, as a person reads it ("cell 3"). */
  describeCell: (id: string | null) => string
  onFollow: (participant: Participant | null) => void
  /** A person's mob role ("driver", "navigator", "observer"), or null in pair mode. */
  roleOf?: (userId: string) => string | null
  /** This page is a viewer's (its own awareness entry carries no role: the server adds
   * roles to what it relays to the others). */
  selfViewer?: boolean
}

export class ParticipantsPanel {
  readonly element: HTMLElement
  readonly avatars: HTMLElement
  private readonly list: HTMLElement
  private readonly count: HTMLElement
  private following: number | null = null
  private people: Participant[] = []
  private signature = ''

  constructor(private readonly options: ParticipantsOptions) {
    this.count = h('span', { class: 'count' })
    this.list = h('ul', { class: 'people', 'aria-label': 'People in this notebook' })
    this.element = h(
      'section',
      { class: 'panel participants', 'aria-labelledby': 'participants-title' },
      h('h2', { id: 'participants-title' }, 'People here ', this.count),
      this.list
    )
    this.avatars = h('div', { class: 'header-avatars', 'aria-hidden': 'true' })
  }

  get followed(): number | null {
    return this.following
  }

  setFollowing(clientId: number | null): void {
    this.following = clientId
    this.render()
  }

  /** Draw again (roles changed). */
  refresh(): void {
    this.render()
  }

  show(people: Participant[]): void {
    const signature = people.map((p) => [p.clientId, p.name, p.color, p.role, p.cell, p.mode].join(':')).join('|')
    if (signature === this.signature && this.people.length === people.length) return
    this.signature = signature
    this.people = people
    if (this.following !== null && !people.some((p) => p.clientId === this.following)) {
      this.following = null
      this.options.onFollow(null)
    }
    this.render()
  }

  private render(): void {
    // One entry per person: the same person in two tabs is one person here.
    const people = groupByPerson(this.people)
    this.count.textContent = `(${people.length})`
    this.list.replaceChildren(...people.map((person) => this.item(person)))
    this.avatars.replaceChildren(
      ...people.map((p) => p.tab).slice(0, 6).map((p) =>
        h('span', { class: 'avatar', style: `--person:${p.color};--person-ink:${inkOn(p.color)}`, title: p.self ? `${p.name} (you)` : p.name }, initials(p.name))
      )
    )
  }

  private item({ tab: person, tabs }: PersonTabs): HTMLElement {
    // A viewer's cursor in a cell edits nothing: they are "on" it, whatever their mode.
    const viewer = person.role === 'viewer' || (person.self && this.options.selfViewer === true)
    const editing = person.mode === 'edit' && !viewer
    const where = person.cell === null ? 'not in a cell' : `${editing ? 'editing' : 'on'} ${this.options.describeCell(person.cell)}`
    const following = this.following === person.clientId
    const follow = person.self
      ? null
      : button(following ? 'Following' : 'Follow', following ? `Stop following ${person.name}` : `Follow ${person.name}`, () => {
          const next = following ? null : person
          this.following = next?.clientId ?? null
          this.options.onFollow(next)
          this.render()
        }, { class: `btn small${following ? ' pressed' : ''}` })
    follow?.setAttribute('aria-pressed', String(following))
    return h(
      'li',
      { class: `person${person.self ? ' self' : ''}`, 'data-client-id': person.clientId, 'data-user-id': person.userId, style: `--person:${person.color};--person-ink:${inkOn(person.color)}` },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(person.name)),
      h(
        'span',
        { class: 'person-text' },
        h('span', { class: 'person-name' }, person.name, person.self ? h('span', { class: 'muted' }, ' (you)') : null),
        h('span', { class: 'person-where' }, [this.options.roleOf?.(person.userId), viewer ? 'viewer' : null, where, tabs > 1 ? `${tabs} tabs` : null].filter(Boolean).join(' · '))
      ),
      follow
    )
  }
}
