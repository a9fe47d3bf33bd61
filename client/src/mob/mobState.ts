/** pairbook's `mob` map read into a typed state, and what it means for one person: their
 * role, whether they may type, the countdown, the cue at a handover. Pure. */

export interface MobPerson {
  id: string
  name: string
  color: string
}

export interface MobSettings {
  turn_seconds: number
  auto_handover: boolean
  break_every: number
  grace_seconds: number
  viewer_chat: boolean
}

export interface ChatMessage {
  id: string
  user: MobPerson
  text: string
  at: number
  /** The sender's role when they posted (a viewer's message is labelled). */
  role: string | null
}

export type MobMode = 'pair' | 'mob'
export type TurnState = 'idle' | 'driving' | 'overtime' | 'grace'
export type MobRole = 'driver' | 'navigator' | 'observer'

export interface MobState {
  mode: MobMode
  state: TurnState
  driver: string | null
  queue: string[]
  observers: string[]
  people: Record<string, MobPerson>
  turnStarted: number | null
  turnEnds: number | null
  graceEnds: number | null
  takeRequest: { user: string; at: number } | null
  settings: MobSettings
  lastBreak: number | null
  chat: ChatMessage[]
}

export const DEFAULT_SETTINGS: MobSettings = { turn_seconds: 600, auto_handover: true, break_every: 3600, grace_seconds: 30, viewer_chat: false }

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null)

function person(value: unknown, fallbackId = '?'): MobPerson {
  const data = isObject(value) ? value : {}
  const id = str(data.id) ?? fallbackId
  return { id, name: str(data.name) ?? id, color: str(data.color) ?? '#6b7280' }
}

/** The `mob` map's JSON (`ymap.toJSON()`), whatever a stored or newer server put there. */
export function readMobState(raw: unknown): MobState {
  const data = isObject(raw) ? raw : {}
  const people: Record<string, MobPerson> = {}
  if (isObject(data.people)) for (const [id, value] of Object.entries(data.people)) people[id] = person(value, id)
  const turn = isObject(data.turn) ? data.turn : {}
  const take = isObject(data.take_request) ? data.take_request : null
  const settings = isObject(data.settings) ? data.settings : {}
  const brk = isObject(data.break) ? data.break : {}
  const state = str(data.state)
  return {
    mode: data.mode === 'mob' ? 'mob' : 'pair',
    state: state === 'driving' || state === 'overtime' || state === 'grace' ? state : 'idle',
    driver: str(data.driver),
    queue: Array.isArray(data.queue) ? data.queue.filter((u): u is string => typeof u === 'string') : [],
    observers: Array.isArray(data.observers) ? data.observers.filter((u): u is string => typeof u === 'string') : [],
    people,
    turnStarted: num(turn.started),
    turnEnds: num(turn.ends),
    graceEnds: num(data.grace_ends),
    takeRequest: take !== null && str(take.user) !== null ? { user: str(take.user) ?? '', at: num(take.at) ?? 0 } : null,
    settings: {
      turn_seconds: num(settings.turn_seconds) ?? DEFAULT_SETTINGS.turn_seconds,
      auto_handover: typeof settings.auto_handover === 'boolean' ? settings.auto_handover : DEFAULT_SETTINGS.auto_handover,
      break_every: num(settings.break_every) ?? DEFAULT_SETTINGS.break_every,
      grace_seconds: num(settings.grace_seconds) ?? DEFAULT_SETTINGS.grace_seconds,
      viewer_chat: settings.viewer_chat === true
    },
    lastBreak: num(brk.last),
    chat: Array.isArray(data.chat)
      ? data.chat.filter(isObject).map((m) => ({ id: str(m.id) ?? '', user: person(m.user), text: str(m.text) ?? '', at: num(m.at) ?? 0, role: str(m.role) }))
      : []
  }
}

/** A person's role in mob mode (null in pair mode): viewers and people who left observe. */
export function roleOf(state: MobState, userId: string | null, viewer = false): MobRole | null {
  if (state.mode !== 'mob') return null
  if (userId !== null && userId === state.driver) return 'driver'
  if (viewer || userId === null || !state.queue.includes(userId)) return 'observer'
  return 'navigator'
}

export function nameOf(state: MobState, userId: string | null): string {
  if (userId === null) return 'nobody'
  return state.people[userId]?.name ?? userId
}

/** Why this person cannot type now, or null when they may (pair mode, or driving). */
export function lockReason(state: MobState, userId: string | null): string | null {
  if (state.mode !== 'mob' || (userId !== null && userId === state.driver)) return null
  if (state.driver === null) return 'Mob mode: nobody is driving. Join the rotation or take the keyboard to type.'
  return `Mob mode: ${nameOf(state, state.driver)} is driving. Navigate (point, talk, chat), or ask for the keyboard.`
}

export type KernelControl = 'interrupt' | 'restart'

/** Why this person may not stop the kernel now, or null when they may: in mob mode the
 * driver, the owner, and (interrupt) whoever started the running cell; anyone with edit
 * rights in pair mode. The server's refusal, word for word (mob/service.py). */
export function controlRefusal(state: MobState | null, me: { id: string | null; owner: boolean }, action: KernelControl, runner: string | null): string | null {
  if (state === null || state.mode !== 'mob' || me.owner) return null
  if (me.id !== null && (me.id === state.driver || (action === 'interrupt' && me.id === runner))) return null
  const who = state.driver === null ? 'the driver (nobody now)' : `the driver (${nameOf(state, state.driver)})`
  return action === 'interrupt'
    ? `mob mode: only ${who}, the owner or whoever started the run can interrupt it`
    : `mob mode: only ${who} or the owner can restart the kernel`
}

/** Why this person may not post to the chat, or null: viewers read it, and post only
 * when the owner lets them. The server's refusal, word for word (mob/commands.py). */
export function chatRefusal(state: MobState, viewer: boolean): string | null {
  if (!viewer || state.settings.viewer_chat) return null
  return 'Viewers read the chat but do not post to it; the owner can let them (Viewers may chat, in the Mob panel\'s settings)'
}

/** Seconds until this navigator's turn at the keyboard if the rotation runs on by itself
 * (the turns of everyone before them in the queue), or null when that cannot be told: not
 * navigating, nobody driving, or turns that do not pass on by themselves. */
export function turnIn(state: MobState, userId: string | null, now: number): number | null {
  if (state.mode !== 'mob' || userId === null || state.driver === null) return null
  const place = state.queue.indexOf(userId)
  if (place < 0 || !state.settings.auto_handover || state.state !== 'driving' || state.turnEnds === null) return null
  return Math.max(0, state.turnEnds - now) + place * state.settings.turn_seconds
}

/** "You are driving" and friends: the sentence at the top of the mob panel. */
export function youAre(state: MobState, userId: string | null, viewer = false): string {
  const role = roleOf(state, userId, viewer)
  if (role === null) return 'Pair mode: everyone with edit rights types freely.'
  if (role === 'driver') return 'You are driving'
  const driver = state.driver === null ? 'nobody drives yet' : `${nameOf(state, state.driver)} drives`
  return role === 'navigator' ? `You are navigating: ${driver}` : `You are observing: ${driver}`
}

/** Minutes and seconds: 7:05. */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds))
  const minutes = Math.floor(whole / 60)
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`
}

/** The countdown line at a moment (server time, seconds since the epoch). */
export function countdown(state: MobState, now: number): { text: string; fraction: number } {
  if (state.mode !== 'mob' || state.driver === null) return { text: '', fraction: 0 }
  if (state.state === 'grace' && state.graceEnds !== null) {
    return { text: `${nameOf(state, state.driver)} is away: the keyboard passes on in ${formatClock(state.graceEnds - now)}`, fraction: 1 }
  }
  if (state.state === 'overtime') return { text: 'Time is up: hand over when you are ready', fraction: 1 }
  if (state.turnEnds === null) return { text: '', fraction: 0 }
  const length = state.settings.turn_seconds
  const left = state.turnEnds - now
  return { text: `${formatClock(left)} left in this turn`, fraction: Math.min(1, Math.max(0, 1 - left / length)) }
}

/** Seconds before an automatic handover when the driver's editors lock: keystrokes typed
 * in flight as the keyboard passes on would be refused by the server. */
export const LOCK_AHEAD = 0.75

/** When (server time) this driver's editors should lock ahead of an automatic handover, or
 * null: not driving, handing over by hand, or nobody here to take over (the turn restarts). */
export function preLockAt(state: MobState, userId: string | null, present: Set<string> | null): number | null {
  if (state.mode !== 'mob' || userId === null || state.driver !== userId) return null
  if (state.state !== 'driving' || !state.settings.auto_handover || state.turnEnds === null) return null
  const someoneNext = state.queue.some((id) => id !== userId && (present === null || present.has(id)))
  return someoneNext ? state.turnEnds - LOCK_AHEAD : null
}

export type HandoverCue = 'you-drive' | 'you-stop' | 'changed' | null

/** What to signal when the state changes: a new driver, and whether it is you. */
export function handoverCue(before: MobState | null, after: MobState, userId: string | null): HandoverCue {
  if (before === null || before.driver === after.driver) return null
  if (userId !== null && after.driver === userId) return 'you-drive'
  if (userId !== null && before.driver === userId) return 'you-stop'
  return after.mode === 'mob' ? 'changed' : null
}

/** Lines of a pointer: "line 3" or "lines 2–5". */
export function describeLines(from: number, to: number): string {
  return from === to ? `line ${from}` : `lines ${from}–${to}`
}
