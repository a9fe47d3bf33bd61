import { describe, expect, it } from 'vitest'

import { applyControlChars, cleanBase64, joinText, mergeStreams, pickMimeType } from '../src/notebook/mimeBundle'

describe('mime bundles', () => {
  it('picks the richest type it can show', () => {
    expect(pickMimeType({ 'text/plain': 'x', 'text/html': '<b>x</b>' })).toBe('text/html')
    expect(pickMimeType({ 'text/plain': 'x', 'image/png': 'AAAA' })).toBe('image/png')
    expect(pickMimeType({ 'application/json': {}, 'text/plain': '{}' })).toBe('application/json')
    expect(pickMimeType({ 'application/vnd.custom': 1 })).toBeNull()
  })

  it("joins nbformat's multiline strings", () => {
    expect(joinText(['a\n', 'b'])).toBe('a\nb')
    expect(joinText('ab')).toBe('ab')
    expect(joinText(undefined)).toBe('')
  })

  it('cleans base64 wrapped over lines', () => {
    expect(cleanBase64(['iVBO\n', 'Rw0K\n'])).toBe('iVBORw0K')
  })

  it('merges consecutive streams of the same name', () => {
    const merged = mergeStreams([
      { output_type: 'stream', name: 'stdout', text: 'a\n' },
      { output_type: 'stream', name: 'stdout', text: ['b\n'] },
      { output_type: 'stream', name: 'stderr', text: 'c\n' },
      { output_type: 'execute_result', data: {} },
      { output_type: 'stream', name: 'stderr', text: 'd\n' }
    ])
    expect(merged.map((o) => o.text ?? null)).toEqual(['a\nb\n', 'c\n', null, 'd\n'])
  })

  it('applies carriage returns like a terminal (progress bars)', () => {
    expect(applyControlChars('10%\r50%\r100%\ndone')).toBe('100%\ndone')
    expect(applyControlChars('abc\x08d')).toBe('abd')
    expect(applyControlChars('\x08x')).toBe('x')
    expect(applyControlChars('plain')).toBe('plain')
  })
})
