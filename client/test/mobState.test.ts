import { describe, expect, it } from 'vitest'

import { chatRefusal, controlRefusal, countdown, describeLines, formatClock, handoverCue, LOCK_AHEAD, lockReason, preLockAt, readMobState, roleOf, turnIn, youAre } from '../src/mob/mobState'
import { heldText, typedBy } from '../src/mob/lockNote'

const stored = {
  mode: 'mob',
  state: 'driving',
  driver: 'ana',
  queue: ['bo', 'cy'],
  observers: ['dee'],
  people: { ana: { id: 'ana', name: 'Ana', color: '#e6194b' }, bo: { id: 'bo', name: 'Bo', color: '#3cb44b' } },
  turn: { started: 1000, ends: 1600 },
  grace_ends: null,
  take_request: { user: 'bo', at: 1100 },
  settings: { turn_seconds: 600, auto_handover: false, break_every: 3600, grace_seconds: 30 },
  break: { from: 1000, last: null },
  chat: [{ id: 'm1', user: { id: 'bo', name: 'Bo', color: '#3cb44b' }, text: 'line 3?', at: 1200 }]
}

describe('the mob map', () => {
  it('reads what the server stores, and survives junk', () => {
    const state = readMobState(stored)
    expect(state.driver).toBe('ana')
    expect(state.queue).toEqual(['bo', 'cy'])
    expect(state.takeRequest).toEqual({ user: 'bo', at: 1100 })
    expect(state.settings.auto_handover).toBe(false)
    expect(state.chat[0]?.text).toBe('line 3?')
    const junk = readMobState({ mode: 'chaos', queue: [1, 'x'], chat: 'no' })
    expect(junk.mode).toBe('pair')
    expect(junk.queue).toEqual(['x'])
    expect(junk.chat).toEqual([])
  })

  it('gives each person a role and locks everyone but the driver', () => {
    const state = readMobState(stored)
    expect(roleOf(state, 'ana')).toBe('driver')
    expect(roleOf(state, 'bo')).toBe('navigator')
    expect(roleOf(state, 'dee')).toBe('observer')
    expect(roleOf(state, 'bo', true)).toBe('observer')
    expect(lockReason(state, 'ana')).toBeNull()
    expect(lockReason(state, 'bo')).toContain('Ana is driving')
    expect(youAre(state, 'ana')).toBe('You are driving')
    expect(youAre(state, 'bo')).toBe('You are navigating: Ana drives')
    const pair = readMobState({ ...stored, mode: 'pair' })
    expect(roleOf(pair, 'bo')).toBeNull()
    expect(lockReason(pair, 'bo')).toBeNull()
  })

  it('lets the driver, the owner and the running cell\'s person stop the kernel in a mob', () => {
    const state = readMobState(stored)
    const bo = { id: 'bo', owner: false }
    expect(controlRefusal(state, { id: 'ana', owner: false }, 'restart', null)).toBeNull()
    expect(controlRefusal(state, { id: 'olga', owner: true }, 'restart', null)).toBeNull()
    expect(controlRefusal(state, bo, 'interrupt', 'bo')).toBeNull()
    expect(controlRefusal(state, bo, 'interrupt', 'ana')).toBe('mob mode: only the driver (Ana), the owner or whoever started the run can interrupt it')
    expect(controlRefusal(state, bo, 'restart', 'bo')).toBe('mob mode: only the driver (Ana) or the owner can restart the kernel')
    expect(controlRefusal(readMobState({ ...stored, mode: 'pair' }), bo, 'restart', null)).toBeNull()
    expect(controlRefusal(null, bo, 'interrupt', 'ana')).toBeNull()
  })

  it('lets viewers read the chat and post only when the owner allows it', () => {
    const state = readMobState(stored)
    expect(state.settings.viewer_chat).toBe(false)
    expect(chatRefusal(state, false)).toBeNull()
    expect(chatRefusal(state, true)).toContain('Viewers read the chat but do not post to it')
    const open = readMobState({ ...stored, settings: { viewer_chat: true }, chat: [{ id: 'm', user: { id: 'vi', name: 'Vi' }, text: 'hi', at: 1, role: 'viewer' }] })
    expect(chatRefusal(open, true)).toBeNull()
    expect(open.chat[0]?.role).toBe('viewer')
  })

  it('counts the turn down and says when time is up or the driver is away', () => {
    const state = readMobState(stored)
    const running = countdown(state, 1000 + 138)
    expect(running.text).toBe('7:42 left in this turn')
    expect(running.fraction).toBeCloseTo(138 / 600)
    expect(countdown({ ...state, state: 'overtime' }, 1700).text).toContain('Time is up')
    expect(countdown({ ...state, state: 'grace', graceEnds: 1225 }, 1200).text).toBe('Ana is away: the keyboard passes on in 0:25')
    expect(formatClock(-3)).toBe('0:00')
    expect(formatClock(61.2)).toBe('1:02')
  })

  it('cues a handover to the new driver, the old one and everyone else', () => {
    const before = readMobState(stored)
    const after = readMobState({ ...stored, driver: 'bo', queue: ['cy', 'ana'] })
    expect(handoverCue(before, after, 'bo')).toBe('you-drive')
    expect(handoverCue(before, after, 'ana')).toBe('you-stop')
    expect(handoverCue(before, after, 'cy')).toBe('changed')
    expect(handoverCue(after, after, 'cy')).toBeNull()
    expect(handoverCue(null, after, 'bo')).toBeNull()
    expect(describeLines(2, 5)).toBe('lines 2–5')
  })
})

describe('locking ahead of an automatic handover', () => {
  const driving = readMobState({ ...stored, settings: { ...stored.settings, auto_handover: true } })

  it('locks the driver just before the turn ends when someone here takes over', () => {
    expect(preLockAt(driving, 'ana', new Set(['ana', 'bo']))).toBeCloseTo(1600 - LOCK_AHEAD)
    expect(preLockAt(driving, 'ana', null)).toBeCloseTo(1600 - LOCK_AHEAD)
  })

  it('does not lock navigators, manual handovers or a driver alone', () => {
    expect(preLockAt(driving, 'bo', null)).toBeNull()
    expect(preLockAt(readMobState(stored), 'ana', null)).toBeNull() // auto_handover off
    expect(preLockAt(driving, 'ana', new Set(['ana']))).toBeNull()
  })
})

describe("the wait for a navigator's turn", () => {
  it('adds the turns of everyone before them in the queue to what is left of this one', () => {
    const auto = readMobState({ ...stored, settings: { ...stored.settings, auto_handover: true } })
    expect(turnIn(auto, 'bo', 1400)).toBe(200)
    expect(turnIn(auto, 'cy', 1400)).toBe(800)
    expect(turnIn(auto, 'ana', 1400)).toBeNull() // driving
    expect(turnIn(auto, 'dee', 1400)).toBeNull() // observing
    expect(turnIn(readMobState(stored), 'bo', 1400)).toBeNull() // turns pass on by hand
    expect(formatClock(turnIn(auto, 'cy', 1400) ?? 0)).toBe('13:20')
  })
})

describe('keystrokes held after a turn', () => {
  it('keep what would have been typed, backspaces included', () => {
    const keys = ['p', 'r', 'x', 'Backspace', 'i', 'n', 't', 'Enter', 'Tab', 'Shift', 'ArrowLeft']
      .map((key) => typedBy(key, false, false))
      .filter((typed): typed is string => typed !== null)
    expect(keys).toHaveLength(9)
    expect(heldText(keys)).toBe('print\n    ')
    expect(typedBy('c', true, false)).toBeNull()
  })
})
