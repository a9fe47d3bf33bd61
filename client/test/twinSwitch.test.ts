import { describe, expect, it } from 'vitest'

import { switchTwin, twinPaired } from '../src/notebook/twinSwitch'

describe('the .py twin switch', () => {
  it('reads jupytext pairings', () => {
    expect(twinPaired(undefined)).toBeNull()
    expect(twinPaired({})).toBeNull()
    expect(twinPaired({ formats: 'ipynb' })).toBe(false)
    expect(twinPaired({ formats: 'ipynb,py:percent' })).toBe(true)
    expect(twinPaired({ formats: 'notebooks///ipynb,scripts///py:light' })).toBe(true)
    expect(twinPaired({ formats: 'ipynb,md' })).toBe(false)
  })

  it('switches the .py on and off and keeps the other formats and keys', () => {
    expect(switchTwin(undefined, true)).toEqual({ formats: 'ipynb,py:percent' })
    expect(switchTwin(undefined, false)).toEqual({ formats: 'ipynb' })
    expect(switchTwin({ formats: 'ipynb,md', other: 1 }, true)).toEqual({ formats: 'ipynb,md,py:percent', other: 1 })
    expect(switchTwin({ formats: 'ipynb,py:light,md' }, false)).toEqual({ formats: 'ipynb,md' })
  })
})
