import { describe, expect, it } from 'vitest'

import { changedSpans, foldRows } from '../src/review/reviewCell'
import type { DiffRow } from '../src/review/reviewApi'
import { reviewHref, reviewPathOf } from '../src/routes'

function rows(kinds: string): DiffRow[] {
  return [...kinds].map((k, i) => ({
    kind: k === '=' ? 'equal' : 'changed',
    left: { no: i + 1, text: `l${i}` },
    right: { no: i + 1, text: `r${i}`, user: 'u', authors: ['u'], ts: 0 }
  }))
}

describe('review routes', () => {
  it('links a notebook review since a commit or a time and reads the path back', () => {
    expect(reviewHref('team/a b.ipynb', 'abc123')).toBe('/notebooks/team/a%20b.ipynb/review?since=abc123')
    expect(reviewHref('a.ipynb', 1700000000.5)).toBe('/notebooks/a.ipynb/review?since=1700000000.5')
    expect(reviewHref('a.ipynb')).toBe('/notebooks/a.ipynb/review')
    expect(reviewPathOf('/notebooks/team/a%20b.ipynb/review')).toBe('team/a b.ipynb')
    expect(reviewPathOf('/notebooks/team/a.ipynb')).toBeNull()
    expect(reviewPathOf('/notebooks/review')).toBeNull()
  })
})

describe('folding unchanged lines', () => {
  it('keeps three lines of context around a change and folds the rest', () => {
    const parts = foldRows(rows('==========x=========='))
    const shape = parts.map((p) => ('folded' in p ? `fold${p.folded.length}` : p.row.kind[0]))
    expect(shape).toEqual(['fold7', 'e', 'e', 'e', 'c', 'e', 'e', 'e', 'fold7'])
  })

  it('leaves short stretches alone', () => {
    expect(foldRows(rows('===x===')).every((p) => 'row' in p)).toBe(true)
    expect(foldRows(rows('x=======x')).every((p) => 'row' in p)).toBe(true)
    expect(foldRows(rows('x========x')).map((p) => ('folded' in p ? `fold${p.folded.length}` : p.row.kind[0]))).toEqual(['c', 'e', 'e', 'e', 'fold2', 'e', 'e', 'e', 'c'])
  })
})

describe('the changed part of a line', () => {
  it('lies between the common prefix and suffix', () => {
    expect(changedSpans('x = 1', 'x = 10')).toEqual([[5, 5], [5, 6]])
    expect(changedSpans('total = a + b', 'total = a - b')).toEqual([[10, 11], [10, 11]])
    expect(changedSpans('aaa', 'aa')).toEqual([[2, 3], [2, 2]])
    expect(changedSpans('same', 'same')).toEqual([[4, 4], [4, 4]])
  })
})
