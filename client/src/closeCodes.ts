/** Websocket close codes the pairbook server uses, and what the client does about each. */

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  MESSAGE_TOO_BIG: 1009,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  RELOAD: 4409,
  SLOW_CONSUMER: 4413
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** reconnect: try again with backoff; reload: our copy is stale, only a reload helps;
 *  denied: this token may not open this notebook (or it does not exist), stop. */
export type CloseOutcome = 'reconnect' | 'reload' | 'denied'

export function closeOutcome(code: number): CloseOutcome {
  switch (code) {
    case CloseCode.RELOAD:
      return 'reload'
    case CloseCode.UNAUTHORIZED:
    case CloseCode.FORBIDDEN:
    case CloseCode.NOT_FOUND:
    case CloseCode.MESSAGE_TOO_BIG: // the same update (or notebook) would be too big again
      return 'denied'
    default:
      // 1001 going away, 4413 slow consumer, 1006 dropped, 1002 protocol error: a fresh
      // connection resyncs from scratch, so trying again is the right default.
      return 'reconnect'
  }
}

/** What to tell a person about a close that stops the connection. */
export function describeClose(code: number, reason: string): string {
  switch (code) {
    case CloseCode.RELOAD:
      return 'This notebook was reloaded on the server since you opened it. Reload the page to continue.'
    case CloseCode.UNAUTHORIZED:
      return `Your link is not valid on this server (${reason || 'unknown token'}). Ask the owner for a new invite link.`
    case CloseCode.FORBIDDEN:
      return `The server refused this connection: ${reason || 'forbidden'}.`
    case CloseCode.NOT_FOUND:
      return `This notebook does not exist (any more): ${reason || 'not found'}.`
    case CloseCode.MESSAGE_TOO_BIG:
      return `The server's limits refused this: ${reason || 'too big'}. Reload the page to continue.`
    default:
      return reason || `connection closed (${code})`
  }
}
