import { describe, expect, it } from 'vitest'

import { applyControlChars, bundleOf, cleanBase64, isBokehPlaceholder, joinText, mergeStreams, pickMimeType } from '../src/notebook/mimeBundle'

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

describe('an output a peer wrote malformed', () => {
  it('reads data or metadata that is not an object as empty', () => {
    expect(bundleOf(5)).toEqual({})
    expect(bundleOf('x')).toEqual({})
    expect(bundleOf(['text/html'])).toEqual({})
    expect(bundleOf(null)).toEqual({})
    expect(bundleOf({ 'text/plain': '1' })).toEqual({ 'text/plain': '1' })
  })

  it('is never taken for a bokeh placeholder, nor fails the look', () => {
    const outputs = [{ output_type: 'display_data', data: 5 }, { output_type: 'display_data', data: 'x' }]
    expect(isBokehPlaceholder(outputs, 0)).toBe(false)
    expect(isBokehPlaceholder(outputs, 1)).toBe(false)
  })
})
