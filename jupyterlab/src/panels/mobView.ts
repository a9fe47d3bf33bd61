/** The mob panel's view for JupyterLab: pairbook's `mob` map (its JSON) and who is looking
 * in, the panel's lines and buttons out — the driver, the countdown, who is next, hand over
 * and take the keyboard — and whether this person's notebook is read-only. The rules and
 * the words are the browser client's (client/src/mob/mobState.ts). Pure. */

import {
  countdown,
  lockReason,
  type MobRole,
  type MobState,
  nameOf,
  readMobState,
  roleOf,
  youAre
} from '../../../client/src/mob/mobState'
import { isColor } from '../../../client/src/panels/presence'
import type { PersonView } from './kernelState'

/** Who looks at the panel: their user id (null before pairbook said), whether they own the
 * room, and whether they only view it. */
export interface Viewer {
  id: string | null
  owner: boolean
  viewer: boolean
}

/** A button: the pairbook command it sends (with its arguments) and how it reads. */
export interface MobAction {
  command: 'mob-mode' | 'mob-handover' | 'mob-take' | 'mob-join' | 'mob-leave' | 'mob-consent'
  args: Record<string, unknown>
  label: string
  title: string
  primary: boolean
  /** Shown pressed (the room's current mode). */
  pressed: boolean
}

export interface MobView {
  mode: 'pair' | 'mob'
  role: MobRole | null
  /** "You are navigating: Ana drives". */
  headline: string
  /** A short label for the panel's tab and status: "Ana drives", or '' in pair mode. */
  label: string
  driver: PersonView | null
  /** "7:05 left in this turn", and how much of the turn has gone (0..1). */
  countdown: { text: string; fraction: number }
  next: PersonView[]
  /** The Pair / Mob switch: the owner's only. */
  modes: MobAction[]
  actions: MobAction[]
  /** "Bo asks for the keyboard." with the driver's answers, or what everyone else sees. */
  consent: { text: string; actions: MobAction[] } | null
  /** Whether this person's notebook is read-only, and why (null when they may type). */
  readOnly: boolean
  lock: string | null
}

const GREY = '#6b7280'

function action(command: MobAction['command'], label: string, title: string, extra: Partial<MobAction> = {}): MobAction {
  return { command, args: {}, label, title, primary: false, pressed: false, ...extra }
}

function personOf(state: MobState, id: string, me: string | null): PersonView {
  const who = state.people[id]
  const name = (who?.name ?? id) + (id === me ? ' (you)' : '')
  return { name, color: who !== undefined && isColor(who.color) ? who.color : GREY }
}

function actionsOf(state: MobState, role: MobRole | null, me: Viewer): MobAction[] {
  if (state.mode !== 'mob') return []
  const out: MobAction[] = []
  if (role === 'driver' || (me.owner && state.driver !== null)) {
    out.push(action('mob-handover', 'Hand over now', 'Pass the keyboard to the next person now', { primary: true }))
  }
  if (role === 'navigator' || (role === 'observer' && !me.viewer)) {
    const asked = me.id !== null && state.takeRequest?.user === me.id
    out.push(action('mob-take', asked ? 'Asked…' : 'Take the keyboard', 'Ask the driver for the keyboard'))
  }
  if (!me.viewer && me.id !== null) {
    out.push(role === 'driver' || role === 'navigator'
      ? action('mob-leave', 'Leave rotation', 'Stop driving in turn; watch instead')
      : action('mob-join', 'Join rotation', 'Take turns at the keyboard'))
  }
  return out
}

function consentOf(state: MobState, me: Viewer): MobView['consent'] {
  const request = state.takeRequest
  if (state.mode !== 'mob' || request === null) return null
  const who = nameOf(state, request.user)
  if (me.id !== null && state.driver === me.id) {
    return {
      text: `${who} asks for the keyboard.`,
      actions: [
        action('mob-consent', 'Give it', `Give the keyboard to ${who}`, { args: { accept: true }, primary: true }),
        action('mob-consent', 'Not now', 'Keep the keyboard', { args: { accept: false } })
      ]
    }
  }
  return { text: `${who} asked ${nameOf(state, state.driver)} for the keyboard.`, actions: [] }
}

/** The panel at `now` (server time, seconds since the epoch) for this person. */
export function mobView(raw: unknown, me: Viewer, now: number): MobView {
  const state = readMobState(raw)
  const role = roleOf(state, me.id, me.viewer)
  const lock = me.viewer ? 'You are viewing this room: you cannot edit it.' : lockReason(state, me.id)
  const modes = me.owner
    ? [
        action('mob-mode', 'Pair', 'Pair mode: everyone types', { args: { mode: 'pair' }, pressed: state.mode === 'pair' }),
        action('mob-mode', 'Mob', 'Mob mode: one driver types, the others navigate', { args: { mode: 'mob' }, pressed: state.mode === 'mob' })
      ]
    : []
  const driver = state.mode === 'mob' && state.driver !== null ? personOf(state, state.driver, me.id) : null
  return {
    mode: state.mode,
    role,
    headline: youAre(state, me.id, me.viewer),
    label: state.mode !== 'mob' ? '' : role === 'driver' ? 'You drive' : `${nameOf(state, state.driver)} drives`,
    driver,
    countdown: countdown(state, now),
    next: state.mode === 'mob' ? state.queue.filter((id) => id !== state.driver).map((id) => personOf(state, id, me.id)) : [],
    modes,
    actions: actionsOf(state, role, me),
    consent: consentOf(state, me),
    readOnly: lock !== null,
    lock
  }
}
