import { describe, expect, it } from 'vitest'

import { attachmentUrl } from '../src/notebook/attachments'
import { attributeAllowed } from '../src/notebook/htmlPolicy'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

describe("a markdown cell's attachment: images", () => {
  it("are the cell's own image, as a data: URL the sanitizer keeps", () => {
    const url = attachmentUrl('attachment:dot.png', { 'dot.png': { 'image/png': PNG } })
    expect(url).toBe(`data:image/png;base64,${PNG}`)
    expect(attributeAllowed('img', 'src', url!)).toBe(true)
  })

  it('find a name markdown-it percent-encoded, and join a source split in lines', () => {
    const attachments = { 'my image.png': { 'image/png': [PNG.slice(0, 10), '\n', PNG.slice(10)] } }
    expect(attachmentUrl('attachment:my%20image.png', attachments)).toBe(`data:image/png;base64,${PNG}`)
    expect(attachmentUrl('attachment:100%.png', { '100%.png': { 'image/gif': 'R0lGOD==' } })).toBe('data:image/gif;base64,R0lGOD==')
  })

  it('take the image types only, as JupyterLab: no SVG, no HTML', () => {
    expect(attachmentUrl('attachment:a.svg', { 'a.svg': { 'image/svg+xml': '<svg onload="alert(1)"/>' } })).toBeNull()
    expect(attachmentUrl('attachment:a', { a: { 'text/html': '<script>alert(1)</script>' } })).toBeNull()
    expect(attachmentUrl('attachment:a', { a: { 'text/plain': 'x', 'image/jpeg': '/9j/' } })).toBe('data:image/jpeg;base64,/9j/')
  })

  it('are nothing for a name the cell has not, data that is not base64, or another URL', () => {
    expect(attachmentUrl('attachment:missing.png', { 'dot.png': { 'image/png': PNG } })).toBeNull()
    expect(attachmentUrl('attachment:__proto__', {})).toBeNull()
    expect(attachmentUrl('attachment:constructor', {})).toBeNull()
    expect(attachmentUrl('attachment:a', { a: { 'image/png': 'AAAA" onerror="alert(1)' } })).toBeNull()
    expect(attachmentUrl('attachment:a', { a: 'not a bundle' })).toBeNull()
    expect(attachmentUrl('attachment:a', null)).toBeNull()
    expect(attachmentUrl('https://example.com/a.png', { 'https://example.com/a.png': { 'image/png': PNG } })).toBeNull()
  })
})
