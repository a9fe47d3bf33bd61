import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'

import { kernelActivity, kernelStatus, runStatus, waitForRuns } from '../src/runs'

function record(doc: Y.Doc, id: string, status: string): void {
  doc.getMap('executions').set(id, { id, cell_id: 'c1', status, user: { id: 'u', name: 'Ada', color: '#000' } })
}

describe('waitForRuns', () => {
  it('resolves true once every run ended ok, not before', async () => {
    const doc = new Y.Doc()
    record(doc, 'r1', 'queued')
    let done: boolean | null = null
    const waiting = waitForRuns(doc, ['r1', 'r2'], new Promise(() => {})).then((ok) => (done = ok))
    record(doc, 'r1', 'ok')
    record(doc, 'r2', 'running')
    await Promise.resolve()
    expect(done).toBeNull()
    record(doc, 'r2', 'ok')
    expect(await waiting).toBe(true)
  })

  it('resolves false when a run failed or was cancelled', async () => {
    const doc = new Y.Doc()
    const waiting = waitForRuns(doc, ['r1', 'r2'], new Promise(() => {}))
    record(doc, 'r1', 'error')
    record(doc, 'r2', 'cancelled')
    expect(await waiting).toBe(false)
  })

  it('resolves false when told to stop waiting', async () => {
    const doc = new Y.Doc()
    record(doc, 'r1', 'waiting-input')
    expect(await waitForRuns(doc, ['r1'], Promise.reject(new Error('closed')))).toBe(false)
  })

  it('reads records kept as shared maps too', () => {
    const doc = new Y.Doc()
    const ymap = new Y.Map<unknown>()
    doc.getMap('executions').set('r1', ymap)
    ymap.set('status', 'ok')
    expect(runStatus(doc, 'r1')).toBe('ok')
    expect(runStatus(doc, 'r2')).toBeNull()
  })
})

describe('kernelStatus', () => {
  it('is "not started" until the server writes one', () => {
    const doc = new Y.Doc()
    expect(kernelStatus(doc)).toBe('not started')
    doc.getMap('kernel').set('status', 'busy')
    expect(kernelStatus(doc)).toBe('busy')
  })
})

describe('kernelActivity', () => {
  it('says whose run the kernel is busy with, whatever the status says', () => {
    const doc = new Y.Doc()
    const kernel = doc.getMap('kernel')
    kernel.set('status', 'starting')
    expect(kernelActivity(doc)).toEqual({ status: 'starting', text: 'starting' })
    kernel.set('current', { id: 'r1', status: 'running', user: { id: 'u', name: 'Lin', color: '#000' } })
    expect(kernelActivity(doc)).toEqual({ status: 'busy', text: 'running for Lin' })
    kernel.set('current', { id: 'r1', status: 'waiting-input', user: { id: 'u', name: 'Lin', color: '#000' } })
    expect(kernelActivity(doc).text).toBe("waiting for Lin's input")
    kernel.set('current', null)
    kernel.set('status', 'idle')
    expect(kernelActivity(doc)).toEqual({ status: 'idle', text: 'idle' })
  })
})
