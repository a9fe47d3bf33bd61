import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { decodeFrame, decodePayload, encodeCommand } from '../src/commands'
import {
  badgeRecord,
  badgeText,
  canCancel,
  cellRuns,
  editedSince,
  kernelEventText,
  kernelRecord,
  describeRun,
  type ExecutionRecord,
  stoppedBatchSummary,
  stoppedBatchText,
  sha256Hex,
  sourceHash,
  timeAgo
} from '../src/kernel/runs'

const run = (over: Partial<ExecutionRecord>): ExecutionRecord => ({
  id: 'r1',
  cell_id: 'c1',
  user: { id: 'u-ana', name: 'Ana', color: '#e6194b' },
  status: 'ok',
  queued_at: 1000,
  started_at: 1001,
  finished_at: 1002,
  execution_count: 7,
  source_hash: sourceHash('x = 1'),
  ...over
})

describe('command frames', () => {
  it('are byte 100 then a varString of JSON', () => {
    const frame = encodeCommand(3, 'run', { cells: ['a'] })
    expect(frame[0]).toBe(100)
    const json = JSON.stringify({ cells: ['a'], id: 3, command: 'run' })
    expect(frame[1]).toBe(json.length)
    expect(new TextDecoder().decode(frame.slice(2))).toBe(json)
  })

  it('uses a multi-byte varUint length and UTF-8 for long or non-ASCII payloads', () => {
    const value = 'é'.repeat(100)
    const frame = encodeCommand(1, 'input-reply', { execution: 'e1', value })
    const decoded = decodeFrame(frame)
    expect(decoded).toBeNull() // a command, not a reply or an event
    const payload = JSON.parse(new TextDecoder().decode(frame.slice(3)))
    expect(payload.value).toBe(value)
    expect(frame[1]! & 0x80).toBe(0x80)
  })

  it('decode replies and events, and nothing else', () => {
    const enc = (text: string) => {
      const bytes = new TextEncoder().encode(text)
      return Uint8Array.from([100, bytes.length, ...bytes])
    }
    expect(decodeFrame(enc('{"id":3,"ok":true,"result":{"queued":["e1"]}}'))).toEqual({ reply: { id: 3, ok: true, result: { queued: ['e1'] } } })
    expect(decodeFrame(enc('{"id":4,"ok":false,"error":"no"}'))).toEqual({ reply: { id: 4, ok: false, error: 'no' } })
    const event = { event: 'input-request', execution: 'e1', cell: 'c1', prompt: 'Name? ', password: false }
    expect(decodeFrame(enc(JSON.stringify(event)))).toEqual({ event })
    expect(decodePayload('not json')).toBeNull()
    expect(decodePayload('[1]')).toBeNull()
    expect(decodeFrame(Uint8Array.from([0, 0]))).toBeNull()
    expect(decodeFrame(Uint8Array.from([100, 50, 1]))).toBeNull()
  })
})

describe('sourceHash', () => {
  it('matches SHA-256 (first 16 hex digits of the UTF-8 source), as the server computes it', () => {
    for (const text of ['', 'x = 1', 'print("héllo → wörld ✓")', 'a'.repeat(55), 'b'.repeat(56), 'c'.repeat(64), 'd'.repeat(1000)]) {
      const expected = createHash('sha256').update(text, 'utf8').digest('hex')
      expect(sha256Hex(new TextEncoder().encode(text))).toBe(expected)
      expect(sourceHash(text)).toBe(expected.slice(0, 16))
    }
  })
})

describe('badges', () => {
  it('say who ran the cell, when and its count', () => {
    expect(badgeText(run({}), 1002 + 150)).toBe('run by Ana · 2 min ago · [7]')
    expect(badgeText(run({ status: 'error' }), 1003)).toBe('run by Ana · just now · [7] · error')
    expect(badgeText(run({}), 1100, true)).toBe('run by Ana · 1 min ago · [7] · edited since')
  })

  it('say what is happening now', () => {
    expect(badgeText(run({ status: 'queued' }), 0)).toBe('queued by Ana')
    expect(badgeText(run({ status: 'running' }), 0)).toBe('running · run by Ana')
    expect(badgeText(run({ status: 'waiting-input' }), 0)).toBe("waiting for Ana's input")
    expect(badgeText(run({ status: 'cancelled', started_at: null, finished_at: null }), 0)).toBe('queued by Ana · cancelled')
  })

  it('know when the source changed since the run', () => {
    expect(editedSince(run({}), sourceHash('x = 1'))).toBe(false)
    expect(editedSince(run({}), sourceHash('x = 2'))).toBe(true)
    expect(editedSince(run({ status: 'running' }), sourceHash('x = 2'))).toBe(false)
    expect(editedSince(run({ source_hash: null }), sourceHash('x = 2'))).toBe(false)
  })

  it('a cell’s runs come newest first; the badge prefers an active run, skips unstarted cancellations', () => {
    const old = run({ id: 'a', queued_at: 10 })
    const newer = run({ id: 'b', queued_at: 20, user: { id: 'u-bo', name: 'Bo' } })
    const cancelled = run({ id: 'c', queued_at: 30, status: 'cancelled', started_at: null, finished_at: null })
    const other = run({ id: 'd', cell_id: 'c2', queued_at: 40 })
    const runs = cellRuns([old, newer, cancelled, other, { ...newer, status: 'running' }], 'c1')
    expect(runs.map((r) => r.id)).toEqual(['c', 'b', 'a'])
    expect(runs[1]!.status).toBe('ok')
    expect(badgeRecord(runs)?.id).toBe('b')
    expect(badgeRecord([run({ id: 'q', status: 'queued' }), ...runs])?.id).toBe('q')
    expect(badgeRecord([])).toBeNull()
  })

  it('a run its stopped batch cancelled shows on the badge, with why it never ran', () => {
    const earlier = run({ id: 'a', queued_at: 10 })
    const reason = 'an earlier cell in this batch failed: cell 3'
    const stopped = run({ id: 'b', queued_at: 20, status: 'cancelled', started_at: null, finished_at: 25, execution_count: null, error: reason, stopped_by: 'x', batch: 'x' })
    expect(badgeRecord([stopped, earlier])?.id).toBe('b')
    expect(badgeText(stopped, 30)).toBe(`queued by Ana · cancelled: ${reason}`)
    expect(describeRun(stopped, 30)).toBe(`Ana · cancelled · just now · ${reason}`)
    expect(describeRun(run({ status: 'error', error: 'ValueError' }), 1003)).toBe('Ana · error · [7] · just now · took 1.0 s · ValueError')
  })

  it('a run a restart or shutdown dropped from the queue says so on the badge', () => {
    const earlier = run({ id: 'a', queued_at: 10 })
    const reason = 'the kernel was restarted by Bo'
    const dropped = run({ id: 'b', queued_at: 20, status: 'cancelled', started_at: null, finished_at: 25, execution_count: null, error: reason })
    expect(badgeRecord([dropped, earlier])?.id).toBe('b')
    expect(badgeText(dropped, 30)).toBe(`queued by Ana · cancelled: ${reason}`)
  })

  it('time reads naturally', () => {
    expect(timeAgo(100, 105)).toBe('just now')
    expect(timeAgo(100, 140)).toBe('40 s ago')
    expect(timeAgo(0, 3 * 3600)).toBe('3 h ago')
    expect(timeAgo(0, 5 * 86400)).toBe('5 days ago')
  })

  it('a replay tells times relative to the moment it shows, not to now', () => {
    expect(timeAgo(100, 105, 'moment')).toBe('at this moment')
    expect(timeAgo(100, 220, 'moment')).toBe('2 min before this moment')
    expect(badgeText(run({}), 1002 + 150, false, 'moment')).toBe('run by Ana · 2 min before this moment · [7]')
  })
})

describe('the kernel map', () => {
  it('reads with defaults and says who did what', () => {
    const state = kernelRecord({ status: 'idle', queue: [run({ status: 'queued' }), 'junk'], current: null })
    expect(state.queue).toHaveLength(1)
    expect(state.last_event).toBeNull()
    expect(kernelRecord({}).status).toBe('not started')
    expect(kernelEventText({ kind: 'restart', by: { id: 'u', name: 'Ana' }, at: 0 }, 5)).toBe('restarted by Ana · just now')
  })

  it('says whose batch stopped, where, why, and what still runs', () => {
    const note = { batch: 'x', by: { id: 'u-ana', name: 'Ana' }, execution: 'x-2', cell_id: 'c2', status: 'error', ename: 'ValueError', cancelled: ['x-3', 'x-4'], still_queued: 1, at: 100 }
    const state = kernelRecord({ status: 'idle', stopped_batch: note })
    expect(state.stopped_batch).toEqual(note)
    expect(kernelRecord({ stopped_batch: { batch: 'x' } }).stopped_batch).toBeNull()
    expect(kernelRecord({}).stopped_batch).toBeNull()
    const cell = (id: string) => `cell ${id.slice(1)}`
    expect(stoppedBatchText(note, cell, 100)).toBe('Ana’s batch stopped at cell 2 (ValueError): 2 later cells cancelled, not run · 1 other queued run not affected · just now')
    const between = { ...note, status: 'interrupted', ename: null, cancelled: ['x-3'], still_queued: 0 }
    expect(stoppedBatchText(between, cell, 100)).toBe('Ana’s batch stopped after cell 2 (interrupted): 1 later cell cancelled, not run · just now')
    expect(stoppedBatchSummary({ ...note, status: 'interrupted', ename: 'KeyboardInterrupt' }, cell)).toBe('batch stopped at cell 2 (interrupted): 2 later cells cancelled, not run · 1 other queued run not affected')
  })

  it('lets people cancel their own queued runs, and the owner any', () => {
    const queued = run({ status: 'queued' })
    expect(canCancel(queued, { id: 'u-ana', owner: false })).toBe(true)
    expect(canCancel(queued, { id: 'u-bo', owner: false })).toBe(false)
    expect(canCancel(queued, { id: 'u-bo', owner: true })).toBe(true)
    expect(canCancel(run({ status: 'running' }), { id: 'u-ana', owner: true })).toBe(false)
  })
})
