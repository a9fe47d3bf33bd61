/** Beside the replayed notebook: the moment's time, who was driving (and everyone's role),
 * who was there, and the chat up to the moment, read from the moment's own document (the
 * `mob` map holds the rotation and the chat) so it is exactly what the room had then. */

import * as Y from 'yjs'

import { h } from '../dom'
import { formatDuration, timeAgo } from '../kernel/runs'
import { DocMap, type UserRecord } from '../schema'
import { clockTime, personOf } from './moments'
import type { Timeline } from './replayApi'

const ROLE_ORDER: Record<string, number> = { driver: 0, navigator: 1, observer: 2 }

interface ChatMessage {
  id: string
  user: UserRecord
  text: string
  at: number
}

export class MomentPanel {
  readonly element: HTMLElement
  private readonly when: HTMLElement
  private readonly roles: HTMLElement
  private readonly here: HTMLElement
  private readonly turns: HTMLElement
  private readonly chat: HTMLOListElement
  private readonly chatCount: HTMLElement

  constructor(private timeline: Timeline) {
    this.when = h('p', { class: 'moment-when' })
    this.roles = h('div', { class: 'moment-roles' })
    this.here = h('ul', { class: 'moment-here' })
    this.turns = h('div', { class: 'moment-turns' })
    this.chat = h('ol', { class: 'moment-chat', 'aria-label': 'Chat up to this moment' })
    this.chatCount = h('span', { class: 'muted' })
    this.element = h(
      'aside',
      { class: 'replay-side', 'aria-label': 'At this moment' },
      h('section', { class: 'panel' }, h('h2', {}, 'At this moment'), this.when, this.roles, this.turns),
      h('section', { class: 'panel' }, h('h2', {}, 'Here'), this.here),
      h('section', { class: 'panel moment-chat-panel' }, h('h2', {}, 'Chat ', this.chatCount), this.chat)
    )
  }

  /** The timeline (its people) grew: a live room's recording went on. */
  use(timeline: Timeline): void {
    this.timeline = timeline
  }

    /** Shows the moment `ts` of document `doc`, with the people present (user ids). */
  show(doc: Y.Doc, ts: number, present: string[]): void {
    const mob = doc.getMap<unknown>(DocMap.MOB_MAP)
    const known = (mob.get('people') ?? {}) as Record<string, UserRecord>
    const person = (id: string): UserRecord => personOf({ ...known, ...this.timeline.people }, id, this.timeline.server_color)
    this.when.textContent = `${clockTime(ts)} · ${new Date(ts * 1000).toLocaleDateString()}`
    this.showRoles(mob, person)
    this.showTurns(mob, ts, person)
    const unique = [...new Set(present)]
    this.here.replaceChildren(...(unique.length === 0 ? [h('li', { class: 'muted' }, 'Nobody had the notebook open.')] : unique.map((id) => chip('li', person(id), ''))))
    const chat = mob.get('chat')
    const messages = (chat instanceof Y.Array ? chat.toArray() : Array.isArray(chat) ? chat : []).filter(isMessage)
    const shown = messages // the moment's document holds the chat up to it, no more
    this.chatCount.textContent = shown.length > 0 ? `(${shown.length})` : ''
    const atBottom = this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 24
    this.chat.replaceChildren(
      ...(shown.length === 0
        ? [h('li', { class: 'muted' }, 'No chat yet at this moment.')]
        : shown.map((message) => {
            const who = personOf({ [message.user.id]: message.user, ...this.timeline.people }, message.user.id, this.timeline.server_color)
            return h(
              'li',
              { class: 'moment-chat-message', style: `--who:${who.color}` },
              h('span', { class: 'moment-chat-who' }, who.name),
              h('time', { class: 'moment-chat-time muted', title: clockTime(message.at) }, timeAgo(message.at, ts, 'moment')),
              h('p', { class: 'moment-chat-text' }, message.text)
            )
          }))
    )
    if (atBottom) this.chat.scrollTop = this.chat.scrollHeight
  }

  /** Who drove when, up to the moment: the finished turns, then the current one. */
  private showTurns(mob: Y.Map<unknown>, ts: number, person: (id: string) => UserRecord): void {
    const finished = ((mob.get('turns') ?? []) as unknown[]).filter((t): t is [string, number, number] => Array.isArray(t) && t.length === 3)
    const turn = (mob.get('turn') ?? {}) as { started?: number | null }
    const driver = mob.get('driver')
    const rows = finished.map(([id, from, to]) =>
      chip('li', person(id), ` · ${formatDuration(to - from)}`, `${clockTime(from)}–${clockTime(to)}`)
    )
    if (mob.get('mode') === 'mob' && typeof driver === 'string' && typeof turn.started === 'number') {
      rows.push(chip('li', person(driver), ` · driving for ${formatDuration(Math.max(0, ts - turn.started))}`, `since ${clockTime(turn.started)}`))
    }
    this.turns.hidden = rows.length === 0
    this.turns.replaceChildren(h('h3', {}, 'Turns at the keyboard'), h('ol', { class: 'moment-turn-list' }, ...rows))
  }

  private showRoles(mob: Y.Map<unknown>, person: (id: string) => UserRecord): void {
    if (mob.get('mode') !== 'mob') {
      this.roles.replaceChildren(h('p', { class: 'moment-driver' }, 'Pair mode: everyone could edit.'))
      return
    }
    const driver = mob.get('driver')
    const roles = Object.entries((mob.get('roles') ?? {}) as Record<string, string>).sort(([, a], [, b]) => (ROLE_ORDER[a] ?? 3) - (ROLE_ORDER[b] ?? 3))
    this.roles.replaceChildren(
      typeof driver === 'string'
        ? h('p', { class: 'moment-driver' }, 'Driving: ', chip('strong', person(driver), ''))
        : h('p', { class: 'moment-driver' }, 'Mob mode: nobody was driving.'),
      h('ul', { class: 'moment-role-list' }, ...roles.filter(([, role]) => role !== 'driver').map(([id, role]) => chip('li', person(id), ` · ${role}`)))
    )
  }
}

/** A chat record as the server writes it (`ChatRecord`); anything else is not shown. */
function isMessage(value: unknown): value is ChatMessage {
  const message = value as Partial<ChatMessage> | null
  return typeof message?.text === 'string' && typeof message.at === 'number' && typeof message.user?.id === 'string'
}

function chip<K extends 'li' | 'strong'>(tag: K, person: UserRecord, suffix: string, title?: string): HTMLElementTagNameMap[K] {
  return h(tag, { class: 'person-chip', style: `--who:${person.color}`, title }, h('span', { class: 'legend-swatch', 'aria-hidden': 'true' }), person.name, suffix)
}
