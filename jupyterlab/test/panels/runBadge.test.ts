import { describe, expect, it } from 'vitest'

import { badgeView, indexRuns, sourceHash } from '../../src/panels/runBadge'

const ana = { id: 'ana', name: 'Ana', color: '#e6194b' }
const bo = { id: 'bo', name: 'Bo', color: 'red; background: url(x)' }

const run = (over: Record<string, unknown>) => ({
  id: 'r1',
  cell_id: 'c1',
  user: ana,
  status: 'ok',
  queued_at: 1000,
  started_at: 1001,
  finished_at: 1002,
  execution_count: 7,
  source_hash: sourceHash('x = 1'),
  error: null,
  ...over
})

describe('run badges', () => {
  it('names who ran a cell, when, and its count, in their color', () => {
    const index = indexRuns({ r1: run({}) }, { status: 'idle', started_at: 900 })
    expect(badgeView(index, 'c1', () => sourceHash('x = 1'), 1003)).toEqual({
      text: 'run by Ana · just now · [7]',
      color: '#e6194b',
      status: 'ok',
      runBy: 'Ana',
      edited: false,
      gone: false
    })
  })

  it('has no badge for a cell nobody ran', () => {
    expect(badgeView(indexRuns({ r1: run({}) }, {}), 'c2', () => sourceHash(''), 0)).toBeNull()
    expect(badgeView(indexRuns(null, null), 'c1', () => sourceHash(''), 0)).toBeNull()
  })

  it('says the source was edited since the run', () => {
    const view = badgeView(indexRuns({ r1: run({}) }, { status: 'idle', started_at: 900 }), 'c1', () => sourceHash('x = 2'), 1003)
    expect(view?.edited).toBe(true)
    expect(view?.text).toBe('run by Ana · just now · [7] · edited since')
  })

  it('shows the newest run, and a queued run from the kernel map before it', () => {
    const older = run({ id: 'r0', queued_at: 10, started_at: 11, finished_at: 12, execution_count: 3 })
    const queued = run({ id: 'r2', user: { id: 'bo', name: 'Bo', color: '#3cb44b' }, status: 'queued', queued_at: 2000, started_at: null, finished_at: null })
    const kernel = { status: 'busy', started_at: 5, queue: [queued], current: null }
    const index = indexRuns({ r0: older, r1: run({}) }, kernel)
    expect(badgeView(index, 'c1', () => sourceHash('x = 1'), 2001)?.text).toBe('queued by Bo')
    expect(badgeView(indexRuns({ r0: older, r1: run({}) }, { status: 'idle', started_at: 5 }), 'c1', () => sourceHash('x = 1'), 1003)?.text).toBe('run by Ana · just now · [7]')
  })

  it('marks a run from a kernel that is gone', () => {
    const view = badgeView(indexRuns({ r1: run({}) }, { status: 'idle', started_at: 1500 }), 'c1', () => sourceHash('x = 1'), 1600)
    expect(view?.gone).toBe(true)
    expect(view?.text).toContain('from a kernel that is gone')
  })

  it('never puts an unsafe color in a style, and skips what is not a run', () => {
    const index = indexRuns({ r1: run({ user: bo }), junk: { id: 'x' }, worse: 'text' }, { status: 'idle', queue: 'nope' })
    expect(badgeView(index, 'c1', () => sourceHash('x = 1'), 1003)?.color).toBe('#8a93a6')
    expect([...index.byCell.keys()]).toEqual(['c1'])
  })
})

describe('hashing sources for badges', () => {
  it('hashes a cell only when its run recorded a hash to compare', () => {
    let asked = 0
    const hash = () => {
      asked += 1
      return sourceHash('x = 1')
    }
    const queued = run({ status: 'queued', started_at: null, finished_at: null, source_hash: null })
    badgeView(indexRuns({}, { status: 'busy', queue: [queued] }), 'c1', hash, 0)
    expect(asked).toBe(0)
    badgeView(indexRuns({ r1: run({}) }, { status: 'idle' }), 'c1', hash, 0)
    expect(asked).toBe(1)
  })
})
