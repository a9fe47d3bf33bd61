/** Who is here and where: the room's awareness states made into participants. Pure. */

export interface AwarenessUser {
  id?: string
  name?: string
  color?: string
  role?: string
}

export interface AwarenessState {
  user?: AwarenessUser
  /** The id of the cell this person has selected. */
  cell?: string | null
  /** 'edit' while typing in the cell, 'command' otherwise. */
  mode?: 'edit' | 'command'
  /** The id of the cell in the middle of this person's screen, for follow mode. */
  viewport?: string | null
  [key: string]: unknown
}

export interface Participant {
  clientId: number
  userId: string
  name: string
  color: string
  role: string
  cell: string | null
  mode: 'edit' | 'command'
  viewport: string | null
  self: boolean
}

const FALLBACK_COLOR = '#6b7280'

/** Participants in a stable order: you first, then by name; states without a user skipped. */
export function participantsFrom(
  states: Map<number, AwarenessState>,
  selfClientId: number
): Participant[] {
  const people: Participant[] = []
  for (const [clientId, state] of states) {
    const user = state.user
    if (user === undefined || user === null || typeof user !== 'object') continue
    people.push({
      clientId,
      userId: typeof user.id === 'string' ? user.id : `client-${clientId}`,
      name: typeof user.name === 'string' && user.name ? user.name : 'Anonymous',
      color: isColor(user.color) ? user.color : FALLBACK_COLOR,
      role: typeof user.role === 'string' ? user.role : '',
      cell: typeof state.cell === 'string' ? state.cell : null,
      mode: state.mode === 'edit' ? 'edit' : 'command',
      viewport: typeof state.viewport === 'string' ? state.viewport : null,
      self: clientId === selfClientId
    })
  }
  return people.sort((a, b) => {
    if (a.self !== b.self) return a.self ? -1 : 1
    return a.name.localeCompare(b.name) || a.clientId - b.clientId
  })
}

/** The others present in each cell, by cell id (a person with two tabs there, once: the
 * tab typing in it if one is). */
export function participantsByCell(people: Participant[]): Map<string, Participant[]> {
  const byCell = new Map<string, Participant[]>()
  for (const person of people) {
    if (person.self || person.cell === null) continue
    const list = byCell.get(person.cell) ?? []
    const twin = list.findIndex((p) => p.userId === person.userId)
    if (twin < 0) list.push(person)
    else if (person.mode === 'edit' && list[twin]?.mode !== 'edit') list[twin] = person
    byCell.set(person.cell, list)
  }
  return byCell
}

/** One person with all their tabs: `tab` is the one to show and follow. */
export interface PersonTabs {
  tab: Participant
  tabs: number
}

/** The people here, each once however many tabs they have open, in the order given. The tab
 * shown is this one if it is among them, else one typing in a cell, else one in a cell. */
export function groupByPerson(people: Participant[]): PersonTabs[] {
  const byUser = new Map<string, Participant[]>()
  for (const person of people) byUser.set(person.userId, [...(byUser.get(person.userId) ?? []), person])
  const rank = (p: Participant): number => (p.self ? 0 : p.mode === 'edit' ? 1 : p.cell !== null ? 2 : 3)
  return [...byUser.values()].map((tabs) => ({ tab: [...tabs].sort((a, b) => rank(a) - rank(b))[0] as Participant, tabs: tabs.length }))
}

/** Only colors we can put in a style attribute safely. */
export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(value)
}

/** The `user` fields the editor binding (y-codemirror.next) writes into style attributes:
 * a peer's value that is not a plain color is dropped (the binding then uses its default),
 * so no peer can put CSS into everyone's page. The server rewrites `color` and drops other
 * keys too; this holds against a server that does not. */
export function scrubStyleColours(states: Map<number, Record<string, unknown>>, self: number): void {
  for (const [clientId, state] of states) {
    const user = state.user
    if (clientId === self || user === null || typeof user !== 'object') continue
    const fields = user as Record<string, unknown>
    for (const key of ['color', 'colorLight']) {
      if (key in fields && !isColor(fields[key])) delete fields[key]
    }
  }
}

/** A person's initials for their avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return '?'
  const first = words[0] ?? ''
  const last = words.length > 1 ? (words[words.length - 1] ?? '') : ''
  return (Array.from(first)[0] ?? '').toUpperCase() + (Array.from(last)[0] ?? '').toUpperCase()
}

/** Dark or white text, whichever reads better on a person's color. */
export function inkOn(color: string): string {
  if (!isColor(color)) return '#ffffff'
  let hex = color.slice(1)
  if (hex.length === 3 || hex.length === 4) hex = [...hex.slice(0, 3)].map((c) => c + c).join('')
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number]
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
  return luminance > 0.6 ? '#1d2330' : '#ffffff'
}
