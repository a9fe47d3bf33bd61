/** Moments of a replay: positions on the timeline, playback pacing, links. Pure. */

import type { BlameLine, OffWindow, Person, Timeline, TimelineEvent } from './replayApi'
import { isColor } from '../panels/presence'
import { isServerAuthor } from '../schema'

export const SPEEDS = [1, 2, 4, 8, 16, 32] as const

/** Playback never waits longer than this (real milliseconds) between two changes: a long
 * pause in the session is skipped rather than replayed. */
export const MAX_WAIT_MS = 1500

/** Where a time lies on the timeline, from 0 (start) to 1 (end). */
export function fractionOf(timeline: Pick<Timeline, 'start_ts' | 'end_ts'>, ts: number): number {
  const span = timeline.end_ts - timeline.start_ts
  if (span <= 0) return 1
  return Math.min(1, Math.max(0, (ts - timeline.start_ts) / span))
}

/** The time at a fraction of the timeline (a click on it). */
export function timeAt(timeline: Pick<Timeline, 'start_ts' | 'end_ts'>, fraction: number): number {
  return timeline.start_ts + Math.min(1, Math.max(0, fraction)) * (timeline.end_ts - timeline.start_ts)
}

/** How long to wait before showing a change made `gap` seconds after the previous one. */
export function waitMs(gap: number, speed: number): number {
  return Math.min(MAX_WAIT_MS, Math.max(0, (gap * 1000) / Math.max(1, speed)))
}

const FINISHED = new Set(['ok', 'error', 'interrupted', 'cancelled', 'dead'])

/** The moment just after the next run finishes (its outputs are in the document), or null. */
export function nextRunEnd(events: TimelineEvent[], seq: number): number | null {
  for (const event of events) {
    if (event.kind !== 'run' || !FINISHED.has(String(event.data.status))) continue
    if (event.seq + 1 > seq) return event.seq + 1
  }
  return null
}

/** The moment a replay URL names: `?seq=N` (or `?t=epoch seconds`), else null. */
export function momentFromSearch(search: string): { seq: number } | { t: number } | null {
  const params = new URLSearchParams(search)
  const seq = Number(params.get('seq'))
  if (params.has('seq') && Number.isInteger(seq) && seq >= 0) return { seq }
  const t = Number(params.get('t'))
  if (params.has('t') && Number.isFinite(t)) return { t }
  return null
}

/** The density counts of a person's row scaled to 0..1 opacity (0 where nothing happened). */
export function intensities(row: number[]): number[] {
  const max = Math.max(1, ...row)
  return row.map((count) => (count === 0 ? 0 : 0.25 + (0.75 * count) / max))
}

/** A person's display name and color; the server's own authors (and anyone the recording
 * does not name) in `fallbackColor`, the server's color as the API gives it. */
export function personOf(people: Record<string, Person>, id: string, fallbackColor: string): Person {
  const known = people[id]
  // A color goes into a style attribute: only a plain one is used.
  if (known !== undefined) return isColor(known.color) ? known : { ...known, color: fallbackColor }
  return { id, name: SERVER_AUTHORS[id] ?? (id === '' || isServerAuthor(id) ? 'pairbook' : id), color: fallbackColor }
}

/** The server's own authors (pairbook/types.py; see isServerAuthor): the file a room started from, outside edits. */
const SERVER_AUTHORS: Record<string, string> = {
  'pairbook:server': 'the file',
  'pairbook:disk': 'edited on disk',
  'pairbook:server-maps': 'pairbook'
}

/** The gutter text of one blamed line: who and when (clock time of the session). */
export function blameLabel(line: BlameLine, people: Record<string, Person>): string {
  // Stamp 0 with no text: an empty cell (no characters to blame), however new.
  if (line.seq === 0) return line.text === '' ? '' : 'before recording'
  const who = personOf(people, line.user, '').name
  return `${who} · ${clockTime(line.ts)}`
}

export function clockTime(ts: number): string {
  const date = new Date(ts * 1000)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** What a timeline marker says when hovered: who, what, and the clock time. */
export function describeEvent(event: TimelineEvent, people: Record<string, Person>): string {
  const name = (id: string): string => personOf(people, id, '').name
  const who = name(event.user)
  const data = event.data
  const what = ((): string => {
    switch (event.kind) {
      case 'join':
        return `${String(data.name ?? who)} joined`
      case 'leave':
        return `${who} left`
      case 'run':
        return `${who}: run ${String(data.status)}`
      case 'kernel':
        return `kernel ${String(data.status)}`
      case 'role': {
        const verb = ROLE_VERBS[String(data.command)]
        return event.user !== '' && verb !== undefined ? `${who} ${verb} · ${roleText(data, name)}` : roleText(data, name)
      }
      case 'chat':
        return `${who}: “${String(data.text ?? '')}”`
      case 'recording':
        return `recording turned ${data.on === true ? 'on' : 'off'} by ${who}`
      case 'restore':
        return `${who} restored ${data.cell === null || data.cell === undefined ? 'the notebook' : 'a cell'}`
      case 'widget':
        return `${who} changed a widget${Array.isArray(data.keys) && data.keys.length > 0 ? ` (${data.keys.join(', ')})` : ''}`
      default:
        return `${event.kind} · ${who}`
    }
  })()
  return `${what} · ${clockTime(event.ts)}`
}

/** What the command behind a role change did (the API credits it to its sender). */
const ROLE_VERBS: Record<string, string> = {
  'mob-mode': 'switched modes',
  'mob-handover': 'handed over',
  'mob-take': 'took the keyboard',
  'mob-consent': 'answered a take request',
  'mob-join': 'joined the queue',
  'mob-leave': 'left the queue',
  'mob-reorder': 'reordered the queue'
}

/** Events the recorder reads off the document, and widget changes (noted as the kernel
 * takes them), are noted at the position before their own record: the moment that shows
 * them is the next one. */
const FROM_THE_DOCUMENT = new Set(['run', 'kernel', 'role', 'recording', 'widget'])

/** The moment a timeline mark opens: the one where what it marks has happened. */
export function momentOf(event: TimelineEvent): number {
  return FROM_THE_DOCUMENT.has(event.kind) ? event.seq + 1 : event.seq
}

/** A role change in words: "mob mode: Bo drives; Ana navigates". */
export function roleText(roles: Record<string, unknown>, name: (id: string) => string): string {
  if (roles.mode !== 'mob') return 'pair mode: everyone edits'
  const driver = typeof roles.driver === 'string' ? `${name(roles.driver)} drives` : 'nobody drives'
  const queue = Array.isArray(roles.queue) ? roles.queue.map((id) => name(String(id))) : []
  return `mob mode: ${driver}${queue.length > 0 ? `; ${queue.join(', ')} navigate${queue.length === 1 ? 's' : ''}` : ''}`
}

/** Kernel statuses worth a marker: not the busy/idle of every run. */
const KERNEL_MARKED = new Set(['starting', 'restarting', 'dead', 'stopped'])

/** The mark an event gets on the timeline, or null (a run's other statuses, presence...). */
export function markOf(event: TimelineEvent): string | null {
  switch (event.kind) {
    case 'run':
      return event.data.status === 'running' ? 'run' : event.data.status === 'error' ? 'run-error' : null
    case 'kernel':
      return KERNEL_MARKED.has(String(event.data.status)) ? 'kernel' : null
    case 'join':
    case 'leave':
    case 'role':
    case 'chat':
    case 'recording':
    case 'restore':
    case 'widget':
      return event.kind
    default:
      return null
  }
}

/** The lane an event's mark goes in: its person's; a role change in the new driver's;
 * '' (the session's lane) when no person did it. */
export function laneOf(event: TimelineEvent): string {
  if (event.kind === 'role') return typeof event.data.driver === 'string' ? event.data.driver : ''
  return isServerAuthor(event.user) ? '' : event.user
}

/** One lane per person who did something, in the order they first did; the session's
 * lane ('') first when something happened that no person did. */
export function lanesOf(timeline: Pick<Timeline, 'density' | 'events' | 'start_ts' | 'end_ts' | 'bins'>): string[] {
  const first = new Map<string, number>()
  const seen = (lane: string, ts: number): void => {
    if ((first.get(lane) ?? Infinity) > ts) first.set(lane, ts)
  }
  for (const [id, row] of Object.entries(timeline.density)) {
    const bin = row.findIndex((count) => count > 0)
    if (bin >= 0) seen(id, timeAt(timeline, bin / Math.max(1, timeline.bins)))
  }
  for (const event of timeline.events) if (markOf(event) !== null) seen(laneOf(event), event.ts)
  const people = [...first.keys()].filter((id) => id !== '').sort((a, b) => first.get(a)! - first.get(b)!)
  return first.has('') ? ['', ...people] : people
}

const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

/** Clock times for a time axis from `start` to `end` (seconds since the epoch): round
 * times, at most `most` of them; seconds shown only when the ticks are under a minute apart,
 * tenths when under a second apart (a session a second or two long). */
export function axisTicks(start: number, end: number, most: number): Array<{ ts: number; label: string }> {
  if (!(end > start) || most < 1) return [{ ts: start, label: clockTime(start) }]
  const step = STEPS.find((s) => (end - start) / s <= most) ?? Math.ceil((end - start) / most / 86400) * 86400
  const offset = new Date(start * 1000).getTimezoneOffset() * 60 // round in local time
  // Counted in tenths of a second, whole numbers: adding 0.1 again and again drifts.
  const tenths = Math.round(step * 10)
  const ticks: Array<{ ts: number; label: string }> = []
  for (let t = Math.ceil(((start - offset) * 10) / tenths) * tenths; t / 10 + offset <= end; t += tenths) {
    const ts = t / 10 + offset
    const second = clockTime(Math.floor(t / 10) + offset)
    ticks.push({ ts, label: step < 1 ? `${second}.${t % 10}` : step < 60 ? second : second.slice(0, 5) })
  }
  return ticks
}

/** What a key does on the replay page (Space, arrows, Home, End), or undefined. */
export const TRANSPORT_KEYS: Record<string, 'play' | 'back' | 'forward' | 'start' | 'end'> = {
  ' ': 'play',
  ArrowLeft: 'back',
  ArrowRight: 'forward',
  Home: 'start',
  End: 'end'
}

/** The moment one step before `seq`: a stretch recorded while off is one step (going back
 * from its end lands where it began), and nothing is before `first`. */
export function stepBack(seq: number, off: Array<Pick<OffWindow, 'from_seq' | 'to_seq'>>, first: number): number {
  const target = seq - 1
  // A window's end is a moment of its own (the stretch's result); inside it there are none.
  const hiding = off.find((w) => target > w.from_seq && (w.to_seq === null || target < w.to_seq))
  return Math.max(first, hiding === undefined ? target : hiding.from_seq)
}
