import { describe, expect, it } from 'vitest'

import { verdictText } from '../src/check/checkControl'

const by = { id: 'u-ana', name: 'Ana', color: '#336699' }

describe('the header verdict of the last check', () => {
  it('is absent before any check', () => {
    expect(verdictText({})).toBeNull()
  })

  it('counts the progress while a check runs', () => {
    expect(verdictText({ status: 'running', by, progress: '[2/5] cell 3 ran in 0.1 s' })?.text).toBe('Checking… 2/5')
    expect(verdictText({ status: 'running', by, progress: 'uv: Resolved 29 packages' })?.text).toBe('Checking…')
  })

  it('says how many cells did not pass', () => {
    const report = { notebook: 'a.ipynb', passed: false, error: '', requirements_source: 'none declared', environment: 'e', seconds: 1, counts: { passed: 4, differs: 1, 'hidden-state': 1 }, cells: new Array(6).fill({ index: 0, cell_id: 'c', verdict: 'passed', detail: '', seconds: 0 }) }
    const shown = verdictText({ status: 'done', by, verdict: 'failed', summary: 'a.ipynb: FAILED', report })
    expect(shown?.text).toBe('✗ Check failed: 2 of 6 cells')
    expect(shown?.kind).toBe('failed')
    expect(shown?.title).toContain('Ana')
  })

  it('shows a pass and an error apart', () => {
    expect(verdictText({ status: 'done', by, verdict: 'passed', summary: 'ok' })?.kind).toBe('passed')
    expect(verdictText({ status: 'done', by, verdict: 'error', summary: 'uv could not build the environment' })?.text).toBe('✗ Check error')
  })
})
