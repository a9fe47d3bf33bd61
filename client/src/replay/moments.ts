/** Moments of a replay: positions on the timeline, playback pacing, links. Pure. */

import type { BlameLine, Person, Timeline, TimelineEvent } from './replayApi'
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

/** A person's display name and color, falling back to the id and grey. */
export function personOf(people: Record<string, Person>, id: string): Person {
  const known = people[id]
  if (known !== undefined) return known
  return { id, name: SERVER_AUTHORS[id] ?? (id === '' || isServerAuthor(id) ? 'pairbook' : id), color: '#8a93a6' }
}

/** The server's own authors (pairbook/types.py; see isServerAuthor): the file a room started from, outside edits. */
const SERVER_AUTHORS: Record<string, string> = {
  'pairbook:server': 'the file',
  'pairbook:disk': 'edited on disk',
  'pairbook:server-maps': 'pairbook'
}

/** The gutter text of one blamed line: who and when (clock time of the session). */
export function blameLabel(line: BlameLine, people: Record<string, Person>): string {
  if (line.seq === 0) return 'before recording'
  const who = personOf(people, line.user).name
  return `${who} · ${clockTime(line.ts)}`
}

export function clockTime(ts: number): string {
  const date = new Date(ts * 1000)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** What a timeline marker says when hovered. */
export function describeEvent(event: TimelineEvent, people: Record<string, Person>): string {
  const who = personOf(people, event.user).name
  const data = event.data
  switch (event.kind) {
    case 'join':
      return `${String(data.name ?? who)} joined`
    case 'leave':
      return `${who} left`
    case 'run':
      return `run ${String(data.status)} · ${who}`
    case 'kernel':
      return `kernel ${String(data.status)}`
    case 'role':
      return `roles changed${typeof data.driver === 'string' ? `: ${data.driver} drives` : ''}`
    case 'recording':
      return `recording turned ${data.on === true ? 'on' : 'off'} by ${who}`
    case 'restore':
      return `${who} restored ${data.cell === null || data.cell === undefined ? 'the notebook' : 'a cell'}`
    default:
      return `${event.kind} · ${who}`
  }
}
