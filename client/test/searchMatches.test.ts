import { describe, expect, it } from 'vitest'

import { compileQuery, findMatches, nearestMatch, replaceAllEdits, replacementFor } from '../src/editor/searchMatches'

const plain = (text: string, caseSensitive = false) => compileQuery({ text, caseSensitive, regexp: false }) as RegExp
const regexp = (text: string) => compileQuery({ text, caseSensitive: true, regexp: true })

describe('finding in a cell', () => {
  it('finds plain text literally, ignoring case unless asked', () => {
    expect(findMatches('Total = total + 1', plain('total'))).toEqual([
      { from: 0, to: 5 },
      { from: 8, to: 13 }
    ])
    expect(findMatches('Total = total + 1', plain('total', true))).toEqual([{ from: 8, to: 13 }])
    expect(findMatches('a.b(c)', plain('.b('))).toEqual([{ from: 1, to: 4 }])
  })

  it('finds regular expressions, skips empty matches and says why one is invalid', () => {
    expect(findMatches('x1 y22', regexp('\\d+') as RegExp)).toEqual([
      { from: 1, to: 2 },
      { from: 4, to: 6 }
    ])
    expect(findMatches('abc', regexp('x*') as RegExp)).toEqual([])
    expect(typeof regexp('(')).toBe('string')
    expect(compileQuery({ text: '', caseSensitive: false, regexp: false })).toBeNull()
  })
})

describe('replacing', () => {
  it('expands groups in place, anchors included', () => {
    const pattern = regexp('^(\\w+) = ') as RegExp
    const source = 'x = 1\nyy = 2'
    const matches = findMatches(source, pattern)
    expect(matches).toEqual([
      { from: 0, to: 4 },
      { from: 6, to: 11 }
    ])
    expect(replacementFor(source, matches[1]!, pattern, '$1 := ', true)).toBe('yy := ')
    expect(replacementFor('a.b', { from: 1, to: 2 }, plain('.'), '$&$&', false)).toBe('$&$&')
  })

  it('replaces every match last first, so offsets stay valid', () => {
    const source = 'x + x'
    const pattern = plain('x')
    const edits = replaceAllEdits(source, findMatches(source, pattern), pattern, 'value', false)
    let result = source
    for (const edit of edits) result = result.slice(0, edit.from) + edit.insert + result.slice(edit.to)
    expect(result).toBe('value + value')
  })

  it('goes to the next match after the cursor, or the previous one, wrapping around', () => {
    const matches = [
      { cell: 0, from: 3 },
      { cell: 2, from: 0 },
      { cell: 2, from: 9 }
    ]
    expect(nearestMatch(matches, { cell: 1, offset: 0 }, true)).toBe(1)
    expect(nearestMatch(matches, { cell: 2, offset: 5 }, true)).toBe(2)
    expect(nearestMatch(matches, { cell: 3, offset: 0 }, true)).toBe(0)
    expect(nearestMatch(matches, { cell: 2, offset: 5 }, false)).toBe(1)
    expect(nearestMatch(matches, { cell: 0, offset: 0 }, false)).toBe(2)
    expect(nearestMatch([], { cell: 0, offset: 0 }, true)).toBe(-1)
  })
})
