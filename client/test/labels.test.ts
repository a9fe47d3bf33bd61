import { describe, expect, it } from 'vitest'

import { words } from '../src/dom'
import { downloadName } from '../src/pages/downloadMenu'

describe('labels and names', () => {
  it('compares labels by their words, not their symbols', () => {
    expect(words('More ▾')).toBe('more')
    expect(words('✓ Check passed')).toBe('check passed')
    expect(words('Checking… 2/5')).toBe('checking 2 5')
    expect(words('.py twin: on')).toBe('.py twin on')
    expect(words('Name ▲')).toBe('name')
    expect(words('×')).toBe('')
  })

  it('names a download after the notebook', () => {
    expect(downloadName('team/analysis.ipynb', 'ipynb')).toBe('analysis.ipynb')
    expect(downloadName('team/analysis.ipynb', 'py')).toBe('analysis.py')
    expect(downloadName('données 数据.ipynb', 'py')).toBe('données 数据.py')
  })
})
