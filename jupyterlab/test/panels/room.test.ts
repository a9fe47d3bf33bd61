import { describe, expect, it } from 'vitest'

import { clockOffset } from '../../src/panels/room'

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
