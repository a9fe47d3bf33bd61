import { describe, expect, it } from 'vitest'

import { ApiError } from '../src/api'
import { CloseCode, closeOutcome } from '../src/closeCodes'
import { closeForTicketError, withTicket } from '../src/ticketSocket'

describe('websocket tickets', () => {
  it('put the ticket, and nothing else, in the room URL', () => {
    const url = withTicket('ws://127.0.0.1:8888/rooms/team%2Fa%20b.ipynb', 'abc-_9')
    expect(url).toBe('ws://127.0.0.1:8888/rooms/team%2Fa%20b.ipynb?ticket=abc-_9')
    expect(url).not.toContain('token')
  })

  it('stop reconnecting when the server refuses the token', () => {
    for (const status of [401, 403]) {
      const close = closeForTicketError(new ApiError(status, 'unknown token'))
      expect(close).toEqual({ code: CloseCode.UNAUTHORIZED, reason: 'unknown token' })
      expect(closeOutcome(close.code)).toBe('denied')
    }
  })

  it('retry with backoff when the server cannot be reached', () => {
    const close = closeForTicketError(new ApiError(0, 'the server cannot be reached'))
    expect(closeOutcome(close.code)).toBe('reconnect')
    expect(closeOutcome(closeForTicketError(new ApiError(503, 'busy')).code)).toBe('reconnect')
  })
})
