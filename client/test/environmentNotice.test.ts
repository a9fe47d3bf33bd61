import { describe, expect, it } from 'vitest'

import { environmentMessage } from '../src/kernel/environmentNotice'

describe("the banner of the notebook's own environment", () => {
  it('says nothing for a notebook without one, or once it is ready', () => {
    expect(environmentMessage(undefined)).toBeNull()
    expect(environmentMessage({ status: 'ready', key: 'abc' })).toBeNull()
  })

  it('shows uv’s latest line while it is prepared', () => {
    const shown = environmentMessage({ status: 'preparing', source: 'metadata.pairbook.environment', progress: 'uv: Resolved 29 packages in 448ms' })
    expect(shown?.level).toBe('info')
    expect(shown?.text).toContain('(from metadata.pairbook.environment)')
    expect(shown?.text).toContain('Resolved 29 packages')
  })

  it('says why it failed', () => {
    const shown = environmentMessage({ status: 'failed', error: 'uv could not build the environment (exit 1)' })
    expect(shown?.level).toBe('error')
    expect(shown?.text).toContain('uv could not build')
  })
})
