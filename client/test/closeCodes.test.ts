import { describe, expect, it } from 'vitest'

import { CloseCode, closeOutcome, describeClose } from '../src/closeCodes'

describe('closeOutcome', () => {
  it('reconnects after the server goes away, a slow-peer close, a drop or a protocol error', () => {
    for (const code of [CloseCode.GOING_AWAY, CloseCode.SLOW_CONSUMER, 1006, CloseCode.PROTOCOL_ERROR, 1011]) {
      expect(closeOutcome(code)).toBe('reconnect')
    }
  })

  it('asks for a reload when our copy is from an older session', () => {
    expect(closeOutcome(CloseCode.RELOAD)).toBe('reload')
  })

  it('stops for unknown tokens, forbidden connections, missing notebooks and limits', () => {
    for (const code of [CloseCode.UNAUTHORIZED, CloseCode.FORBIDDEN, CloseCode.NOT_FOUND, CloseCode.MESSAGE_TOO_BIG]) {
      expect(closeOutcome(code)).toBe('denied')
    }
  })

  it('tells the person what to do next', () => {
    expect(describeClose(CloseCode.UNAUTHORIZED, '')).toMatch(/new invite link/)
    expect(describeClose(CloseCode.RELOAD, 'x')).toMatch(/Reload/)
    expect(describeClose(CloseCode.MESSAGE_TOO_BIG, 'notebooks up to 64 MB')).toMatch(/up to 64 MB/)
  })
})
