import { describe, expect, it } from 'vitest'
import { LinkError, parseLink, roomsUrl } from '../src/link'

describe('parseLink', () => {
  it('takes the server and token of an invite link', () => {
    expect(parseLink(' http://localhost:8888/?token=abc ')).toEqual({
      server: 'http://localhost:8888',
      token: 'abc',
      notebook: null
    })
  })

  it('keeps the notebook a link points at', () => {
    const link = parseLink('https://pair.example/notebooks/work/a%20b.ipynb?token=t')
    expect(link.server).toBe('https://pair.example')
    expect(link.notebook).toBe('work/a b.ipynb')
    expect(parseLink('http://localhost:8888/notebooks/%E0.ipynb?token=t').notebook).toBeNull()
  })

  it('refuses text that is not a link, another scheme, or a link without a token', () => {
    expect(() => parseLink('localhost:8888')).toThrow(LinkError)
    expect(() => parseLink('javascript:alert(1)?token=x')).toThrow(/http/)
    expect(() => parseLink('http://localhost:8888/')).toThrow(/token/)
    expect(() => parseLink('http://localhost:8888/?token=%20')).toThrow(/token/)
  })
})

describe('rooms', () => {
  it('talks websocket on the scheme of the server', () => {
    expect(roomsUrl('http://localhost:8888')).toBe('ws://localhost:8888/rooms')
    expect(roomsUrl('https://pair.example')).toBe('wss://pair.example/rooms')
  })
})
