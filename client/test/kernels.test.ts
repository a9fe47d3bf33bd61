import { describe, expect, it } from 'vitest'

import { clockTime, cullNote, fromGoneKernel, kernelChoices, kernelLine, stateNotice, stopText } from '../src/kernel/kernels'
import { type ExecutionRecord, kernelRecord } from '../src/kernel/runs'

describe('kernelChoices', () => {
  it('lists installed kernels by display name with the current one', () => {
    expect(kernelChoices({ kernels: { python3: 'Python 3 (ipykernel)', ir: 'R' }, current: 'python3' })).toEqual({
      choices: [
        { name: 'python3', displayName: 'Python 3 (ipykernel)' },
        { name: 'ir', displayName: 'R' }
      ],
      current: 'python3'
    })
  })

  it('keeps a current kernel that is no longer installed, and names without a display name', () => {
    expect(kernelChoices({ kernels: { a: '' }, current: 'gone' })).toEqual({
      choices: [
        { name: 'a', displayName: 'a' },
        { name: 'gone', displayName: 'gone' }
      ],
      current: 'gone'
    })
    expect(kernelChoices({ kernels: {}, current: null })).toEqual({ choices: [], current: null })
  })

  it('refuses other shapes', () => {
    expect(kernelChoices(null)).toBeNull()
    expect(kernelChoices([])).toBeNull()
    expect(kernelChoices({ kernels: ['python3'] })).toBeNull()
    expect(kernelChoices({ current: 'python3' })).toBeNull()
  })
})

const NOW = new Date(2026, 11, 4, 16, 0, 0).getTime() / 1000
const AT = new Date(2026, 11, 4, 14, 2, 0).getTime() / 1000

function ran(finished: number | null, status: ExecutionRecord['status'] = 'ok'): ExecutionRecord {
  return { id: 'r', cell_id: 'c', user: { id: 'ana', name: 'Ana' }, status, queued_at: 1, started_at: finished === null ? null : 1, finished_at: finished, execution_count: 1, source_hash: null }
}

describe('the kernel’s life', () => {
  it('reads the stop, start and cull fields of the kernel map', () => {
    const state = kernelRecord({ status: 'stopped', stopped: { reason: 'idle', by: null, at: AT, idle_for: 7200 }, started_at: null, cull_at: 'junk' })
    expect(state.stopped).toEqual({ reason: 'idle', by: null, at: AT, idle_for: 7200 })
    expect(state.started_at).toBeNull()
    expect(state.cull_at).toBeNull()
    expect(kernelRecord({ stopped: { by: null } }).stopped).toBeNull()
  })

  it('says why and when a kernel stopped, in the header', () => {
    const idle = kernelRecord({ name: 'python3', display_name: 'Python 3', status: 'stopped', stopped: { reason: 'idle', by: null, at: AT, idle_for: 7200 } })
    expect(kernelLine(idle, NOW)).toBe('Python 3 · stopped (idle for 2 h, by the server, 14:02)')
    expect(stopText({ reason: 'shutdown', by: { id: 'ana', name: 'Ana' }, at: AT, idle_for: null }, NOW)).toBe('shut down by Ana, 14:02')
    expect(stopText({ reason: 'died', by: null, at: AT, idle_for: null }, NOW)).toBe('the kernel died, 14:02')
    expect(stopText({ reason: 'server', by: null, at: null, idle_for: null }, NOW)).toBe('the server stopped')
    expect(kernelLine(kernelRecord({ display_name: 'Python 3', status: 'idle' }), NOW)).toBe('Python 3 · idle')
    expect(stateNotice(idle, NOW)).toContain('From a kernel that is gone (idle for 2 h, by the server, 14:02)')
    expect(stateNotice(kernelRecord({ status: 'idle' }), NOW)).toBeNull()
  })

  it('gives the date of a stop that was not today', () => {
    expect(clockTime(AT - 86400, NOW)).toMatch(/ 14:02$/)
    expect(clockTime(AT - 86400, NOW)).not.toBe('14:02')
  })

  it('counts down to the idle cull until the kernel runs or stops', () => {
    const near = kernelRecord({ display_name: 'Python 3', status: 'idle', cull_at: NOW + 50 })
    expect(cullNote(near, NOW)).toBe('idle kernel stops in 50 s')
    expect(kernelLine(near, NOW)).toBe('Python 3 · idle · idle kernel stops in 50 s')
    expect(cullNote(kernelRecord({ status: 'idle' }), NOW)).toBeNull()
  })

  it('marks finished runs from a kernel that stopped or restarted since, not those of the current one', () => {
    const live = kernelRecord({ status: 'idle', started_at: 100 })
    expect(fromGoneKernel(ran(50), live)).toBe(true)
    expect(fromGoneKernel(ran(150), live)).toBe(false)
    expect(fromGoneKernel(ran(150), kernelRecord({ status: 'stopped', started_at: null }))).toBe(true)
    expect(fromGoneKernel(ran(150), kernelRecord({ status: 'not started' }))).toBe(true)
    expect(fromGoneKernel({ ...ran(null), status: 'queued' }, kernelRecord({ status: 'stopped' }))).toBe(false)
    expect(fromGoneKernel(ran(null, 'cancelled'), kernelRecord({ status: 'stopped' }))).toBe(false)
  })
})
