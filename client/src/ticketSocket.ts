/** A WebSocket that asks the server for a single-use ticket before each connection, so the
 * person's token never travels in a websocket URL (POST /api/tickets sends it in the
 * Authorization header; the socket opens with `?ticket=`).
 *
 * y-websocket creates its sockets synchronously (also when it reconnects), and takes the
 * socket class as `WebSocketPolyfill`; this class is that: it looks like a connecting socket
 * while the ticket is on its way, then forwards to the real one. A ticket the server refuses
 * to mint (the token is no longer valid) closes it with 4401, like a refused token would.
 */

import { ApiError } from './api'
import { CloseCode } from './closeCodes'

/** Resolves with a fresh ticket; rejects with ApiError when the server refuses. */
export type TicketSource = () => Promise<string>

/** `url` with `?ticket=` set. */
export function withTicket(url: string, ticket: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('ticket', ticket)
  return parsed.toString()
}

/** The close a failed ticket request amounts to: 4401 when the server refused the token
 * (stop and say so), 1006 when the server could not be reached (retry with backoff). */
export function closeForTicketError(error: unknown): { code: number; reason: string } {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    return { code: CloseCode.UNAUTHORIZED, reason: error.message }
  }
  return { code: 1006, reason: error instanceof Error ? error.message : String(error) }
}

type Handler<E extends Event> = ((event: E) => void) | null

/** The socket class to give y-websocket: each instance fetches its own ticket. */
export function ticketSocketClass(fetchTicket: TicketSource): typeof WebSocket {
  class TicketSocket {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    static readonly CLOSING = 2
    static readonly CLOSED = 3
    // y-websocket compares with the instance's constants (`ws.readyState === ws.OPEN`).
    readonly CONNECTING = 0
    readonly OPEN = 1
    readonly CLOSING = 2
    readonly CLOSED = 3
    binaryType: BinaryType = 'blob'
    onopen: Handler<Event> = null
    onmessage: Handler<MessageEvent> = null
    onerror: Handler<Event> = null
    onclose: Handler<CloseEvent> = null
    private socket: WebSocket | null = null
    private closed = false

    constructor(url: string | URL, protocols?: string | string[]) {
      fetchTicket().then(
        (ticket) => {
          if (this.closed) return
          const socket = new WebSocket(withTicket(String(url), ticket), protocols)
          socket.binaryType = this.binaryType
          socket.onopen = (event) => this.onopen?.(event)
          socket.onmessage = (event) => this.onmessage?.(event)
          socket.onerror = (event) => this.onerror?.(event)
          socket.onclose = (event) => this.onclose?.(event)
          this.socket = socket
        },
        (error: unknown) => {
          if (this.closed) return
          this.closed = true
          const { code, reason } = closeForTicketError(error)
          this.onclose?.(new CloseEvent('close', { code, reason, wasClean: false }))
        }
      )
    }

    get readyState(): number {
      if (this.socket !== null) return this.socket.readyState
      return this.closed ? this.CLOSED : this.CONNECTING
    }

    get bufferedAmount(): number {
      return this.socket?.bufferedAmount ?? 0
    }

    send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (this.socket === null) throw new DOMException('the socket is still connecting', 'InvalidStateError')
      this.socket.send(data)
    }

    close(code?: number, reason?: string): void {
      this.closed = true
      this.socket?.close(code, reason)
    }
  }
  return TicketSocket as unknown as typeof WebSocket
}
