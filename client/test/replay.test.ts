import { describe, expect, it } from 'vitest'

import { blameLabel, describeEvent, fractionOf, intensities, MAX_WAIT_MS, momentFromSearch, nextRunEnd, timeAt, waitMs } from '../src/replay/moments'
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
    expect(describeEvent({ seq: 1, ts: 0, kind: 'recording', user: 'u-1', data: { on: false } }, people)).toBe('recording turned off by Ana')
    expect(describeEvent({ seq: 1, ts: 0, kind: 'join', user: 'u-2', data: { name: 'Bo' } }, people)).toBe('Bo joined')
  })
})
