import { describe, expect, it } from 'vitest'

import { clockOffset, viewerOf } from '../../src/panels/room'

describe('the server clock', () => {
  it('takes the server time as read halfway through the request', () => {
    expect(clockOffset({ now: 1010 }, 1000, 1002)).toBe(9)
  })

  it('has no offset from a reply without a time', () => {
    expect(clockOffset({ now: 'soon' }, 0, 1)).toBeNull()
    expect(clockOffset(null, 0, 1)).toBeNull()
    expect(clockOffset({ now: Number.NaN }, 0, 1)).toBeNull()
  })
})

describe('who is looking', () => {
  it('reads the whoami reply', () => {
    expect(viewerOf({ user: { id: 'ana', name: 'Ana' }, role: 'owner' })).toEqual({ id: 'ana', owner: true, viewer: false })
    expect(viewerOf({ user: { id: 'bo' }, role: 'editor' })).toEqual({ id: 'bo', owner: false, viewer: false })
    expect(viewerOf({ user: { id: 'vi' }, role: 'viewer' })).toEqual({ id: 'vi', owner: false, viewer: true })
  })

  it('is nobody who may edit until pairbook said', () => {
    expect(viewerOf(null)).toEqual({ id: null, owner: false, viewer: true })
    expect(viewerOf({ user: { id: 7 }, role: 'owner' })).toEqual({ id: null, owner: true, viewer: true })
  })
})
