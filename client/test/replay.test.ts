import { describe, expect, it } from 'vitest'

import { axisTicks, blameLabel, describeEvent, fractionOf, intensities, laneOf, lanesOf, markOf, MAX_WAIT_MS, momentOf, momentFromSearch, nextRunEnd, personOf, stepBack, timeAt, TRANSPORT_KEYS, waitMs } from '../src/replay/moments'
import type { TimelineEvent } from '../src/replay/replayApi'
import { replayHref, replayPathOf } from '../src/routes'

const span = { start_ts: 1000, end_ts: 1100 }

describe('replay moments', () => {
  it('maps times to the timeline and back, clamped to it', () => {
    expect(fractionOf(span, 1025)).toBe(0.25)
    expect(fractionOf(span, 900)).toBe(0)
    expect(fractionOf(span, 2000)).toBe(1)
    expect(timeAt(span, 0.5)).toBe(1050)
    expect(timeAt(span, 1.5)).toBe(1100)
    expect(fractionOf({ start_ts: 5, end_ts: 5 }, 5)).toBe(1)
  })

  it('paces playback by the speed and skips long pauses', () => {
    expect(waitMs(0.4, 1)).toBe(400)
    expect(waitMs(0.4, 4)).toBe(100)
    expect(waitMs(3600, 32)).toBe(MAX_WAIT_MS)
    expect(waitMs(-1, 1)).toBe(0)
  })

  it('steps to just after the next finished run', () => {
    const run = (seq: number, status: string): TimelineEvent => ({ seq, ts: seq, kind: 'run', user: 'u', data: { status } })
    const events = [run(10, 'queued'), run(11, 'running'), run(14, 'ok'), { seq: 20, ts: 20, kind: 'join', user: 'u', data: {} }, run(30, 'error')]
    expect(nextRunEnd(events, 0)).toBe(15)
    expect(nextRunEnd(events, 16)).toBe(31)
    expect(nextRunEnd(events, 32)).toBeNull()
  })

  it('reads a moment from the link and writes links to moments', () => {
    expect(momentFromSearch('?seq=42')).toEqual({ seq: 42 })
    expect(momentFromSearch('?t=1700000000.5')).toEqual({ t: 1700000000.5 })
    expect(momentFromSearch('?seq=-3')).toBeNull()
    expect(momentFromSearch('')).toBeNull()
    expect(replayHref('team/a b.ipynb', 7)).toBe('/replay/team/a%20b.ipynb?seq=7')
    expect(replayPathOf('/replay/team/a%20b.ipynb')).toBe('team/a b.ipynb')
    expect(replayPathOf('/notebooks/x.ipynb')).toBeNull()
  })

  it('shades density by activity and labels blame and events by person', () => {
    expect(intensities([0, 1, 4])).toEqual([0, 0.25 + 0.75 / 4, 1])
    const people = { 'u-1': { id: 'u-1', name: 'Ana', color: '#f00' } }
    const line = { line: 0, text: 'x', user: 'u-1', seq: 3, ts: 0, authors: ['u-1'] }
    expect(blameLabel(line, people)).toMatch(/^Ana · \d\d:\d\d:\d\d$/)
    expect(blameLabel({ ...line, seq: 0 }, people)).toBe('before recording')
    // An empty line has no characters to blame (a new cell, a blank line): no label, not
    // "before recording" in a notebook recorded from its first keystroke.
    expect(blameLabel({ ...line, text: '', user: '', seq: 0, authors: [] }, people)).toBe('')
    expect(describeEvent({ seq: 1, ts: 0, kind: 'recording', user: 'u-1', data: { on: false } }, people)).toMatch(/^recording turned off by Ana · \d\d:\d\d:\d\d$/)
    expect(describeEvent({ seq: 1, ts: 0, kind: 'join', user: 'u-2', data: { name: 'Bo' } }, people)).toMatch(/^Bo joined · /)
    expect(describeEvent({ seq: 1, ts: 0, kind: 'chat', user: 'u-1', data: { text: 'look here' } }, people)).toMatch(/^Ana: “look here” · /)
  })

  it('names people in role changes, never by their raw id', () => {
    const people = { a: { id: 'a', name: 'Ana', color: '#f00' }, b: { id: 'b', name: 'Bo', color: '#00f' } }
    const role = { seq: 5, ts: 0, kind: 'role', user: '', data: { mode: 'mob', driver: 'b', queue: ['a'] } }
    expect(describeEvent(role, people)).toMatch(/^mob mode: Bo drives; Ana navigates · /)
    expect(describeEvent({ ...role, data: { mode: 'pair' } }, people)).toMatch(/^pair mode: everyone edits/)
    expect(describeEvent({ ...role, user: 'a', data: { ...role.data, command: 'mob-handover' } }, people)).toMatch(/^Ana handed over · mob mode: Bo drives; Ana navigates · /)
    expect(momentOf(role)).toBe(6) // noted before its own record
    expect(momentOf({ ...role, kind: 'chat' })).toBe(5)
    expect(laneOf(role)).toBe('b')
    expect(laneOf({ ...role, data: { mode: 'pair', driver: null } })).toBe('')
  })

  it('gives the server its color from the API and keeps only plain colors', () => {
    const people = { a: { id: 'a', name: 'Ana', color: 'red;background:url(x)' } }
    expect(personOf(people, 'pairbook:server', '#123456')).toEqual({ id: 'pairbook:server', name: 'the file', color: '#123456' })
    expect(personOf(people, 'a', '#123456').color).toBe('#123456')
  })

  it('lays out one lane per person in the order they first acted, the session first', () => {
    const timeline = {
      start_ts: 0,
      end_ts: 100,
      bins: 10,
      density: { bo: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], ana: [0, 0, 0, 0, 0, 2, 0, 0, 0, 0] },
      events: [
        { seq: 1, ts: 10, kind: 'chat', user: 'cy', data: { text: 'hi' } },
        { seq: 2, ts: 50, kind: 'kernel', user: '', data: { status: 'busy' } },
        { seq: 3, ts: 60, kind: 'kernel', user: '', data: { status: 'restarting' } },
        { seq: 4, ts: 70, kind: 'awareness', user: 'di', data: {} }
      ]
    }
    expect(lanesOf(timeline)).toEqual(['', 'cy', 'bo', 'ana'])
    expect(markOf(timeline.events[1]!)).toBeNull()
    expect(markOf(timeline.events[2]!)).toBe('kernel')
  })

  it('puts round clock times on the axis, at most as many as asked', () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 7) / 1000
    const ticks = axisTicks(start, start + 600, 6)
    expect(ticks.length).toBeLessThanOrEqual(6)
    expect(ticks.length).toBeGreaterThanOrEqual(3)
    expect(ticks.every((t) => t.ts % 60 === 0)).toBe(true)
    expect(ticks[0]!.label).toMatch(/^\d\d:\d\d$/)
    expect(axisTicks(start, start + 20, 5).every((t) => /^\d\d:\d\d:\d\d$/.test(t.label))).toBe(true)
  })

  it('gives a session a second or two long ticks, in tenths of a second', () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 7) / 1000 + 0.3
    for (const [length, most] of [[0.6, 6], [1.5, 8], [2, 3]] as const) {
      const ticks = axisTicks(start, start + length, most)
      expect(ticks.length).toBeGreaterThanOrEqual(2)
      expect(ticks.length).toBeLessThanOrEqual(most)
      expect(ticks.every((t) => t.ts >= start && t.ts <= start + length)).toBe(true)
      expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length)
    }
    const short = axisTicks(start, start + 0.6, 4)
    expect(short.map((t) => t.label.slice(-4))).toEqual(['07.4', '07.6', '07.8'])
    expect(short.map((t) => Math.round(t.ts * 10) % 2)).toEqual([0, 0, 0])
  })

  it('steps back over a stretch recorded while off in one step', () => {
    const off = [{ from_seq: 10, to_seq: 20 }]
    expect(stepBack(30, off, 0)).toBe(29)
    expect(stepBack(21, off, 0)).toBe(20)
    expect(stepBack(20, off, 0)).toBe(10)
    expect(stepBack(1, off, 0)).toBe(0)
    expect(stepBack(0, off, 0)).toBe(0)
    expect(TRANSPORT_KEYS[' ']).toBe('play')
    expect(TRANSPORT_KEYS.End).toBe('end')
  })
})
