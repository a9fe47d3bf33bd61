/** A Connection keeps one notebook's Doc in sync with its room on the server.
 *
 * It wraps the stock y-websocket provider: the handler table keyed by message type is the
 * provider's own (`messageHandlers`), to which pairbook adds its permission-denied display
 * and its command replies. Reconnecting with capped exponential backoff is normal life; the
 * close codes that reconnecting cannot fix stop it (see closeCodes.ts).
 */

import * as decoding from 'lib0/decoding'
import { readAuthMessage } from 'y-protocols/auth'
import type { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'

import { closeOutcome } from './closeCodes'
import { type CommandName, type CommandReply, decodePayload, encodeCommand, type CommandEvent } from './commands'
import {
  type ConnectionEvent,
  type ConnectionState,
  nextConnectionState
} from './connectionState'
import { roomName } from './routes'
import { type TicketSource, ticketSocketClass } from './ticketSocket'

/** y-protocols' message types, and pairbook's command channel. */
export const MessageType = {
  SYNC: 0,
  AWARENESS: 1,
  AUTH: 2,
  QUERY_AWARENESS: 3,
  COMMAND: 100
} as const

export interface ConnectionOptions {
  /** `ws://host:port` or `wss://host` */
  wsOrigin: string
  /** The notebook's path relative to the served root. */
  path: string
  doc: Y.Doc
  awareness: Awareness
  /** A fresh single-use websocket ticket for each connection (POST /api/tickets). */
  ticket: TicketSource
  /** Called when the server refuses one of our updates (y-protocols auth message). */
  onPermissionDenied?: (reason: string) => void
}

export class Connection {
  readonly provider: WebsocketProvider
  private current: ConnectionState = { kind: 'connecting' }
  private readonly listeners = new Set<(state: ConnectionState) => void>()
  private readonly pending = new Map<number, (reply: CommandReply) => void>()
  private readonly eventListeners = new Set<(event: CommandEvent) => void>()
  private nextCommandId = 1
  private readonly onOffline = (): void => {
    this.provider.disconnect()
    this.dispatch({ type: 'offline' })
  }
  private readonly onOnline = (): void => {
    this.dispatch({ type: 'online' })
    if (this.current.kind === 'reconnecting') this.provider.connect()
  }

  constructor(options: ConnectionOptions) {
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false
    this.provider = new WebsocketProvider(
      `${options.wsOrigin}/rooms`,
      roomName(options.path),
      options.doc,
      {
        connect: !offline,
        awareness: options.awareness,
        // No token in the URL: every connection opens with a fresh single-use ticket.
        WebSocketPolyfill: ticketSocketClass(options.ticket),
        // Two tabs of one browser must each talk to the server: the server checks roles.
        disableBc: true,
        maxBackoffTime: 5000,
        shouldReconnect: (event) => closeOutcome(event.code) === 'reconnect'
      }
    )
    const onDenied = options.onPermissionDenied ?? (() => {})
    this.provider.messageHandlers[MessageType.AUTH] = (_encoder, decoder, provider) => {
      readAuthMessage(decoder, provider.doc, (_doc, reason) => onDenied(reason))
    }
    // Type 100 has its own entry in the provider's handler table, so y-websocket never
    // logs "Unable to compute message" for pairbook's replies and events.
    this.provider.messageHandlers[MessageType.COMMAND] = (_encoder, decoder) => {
      this.receiveCommandMessage(decoding.readVarString(decoder))
    }
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') this.dispatch({ type: 'opened' })
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) this.dispatch({ type: 'synced' })
    })
    this.provider.on('connection-close', (event) => {
      // null: we closed it ourselves (going offline, or the provider's silence watchdog).
      if (event !== null) this.dispatch({ type: 'closed', code: event.code, reason: event.reason })
      for (const resolve of this.pending.values()) {
        resolve({ id: 0, ok: false, error: 'disconnected' })
      }
      this.pending.clear()
    })
    if (offline) this.current = { kind: 'offline' }
    window.addEventListener('offline', this.onOffline)
    window.addEventListener('online', this.onOnline)
  }

  get state(): ConnectionState {
    return this.current
  }

  /** Calls `listener` now and on every change of state. */
  subscribe(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener)
    listener(this.current)
    return () => this.listeners.delete(listener)
  }

  /** Sends a pairbook command and resolves with the server's reply. Document updates are
   * sent synchronously as they happen, on the same socket: a command sent after an edit
   * reaches the server after it (so "run" runs what was just typed). */
  command(command: CommandName, args: Record<string, unknown> = {}): Promise<CommandReply> {
    const ws = this.provider.ws
    if (ws === null || ws.readyState !== WebSocket.OPEN || !this.provider.synced) {
      return Promise.resolve({ id: 0, ok: false, error: 'not connected' })
    }
    const id = this.nextCommandId++
    ws.send(encodeCommand(id, command, args))
    return new Promise((resolve) => this.pending.set(id, resolve))
  }

  /** Calls `listener` with every pairbook event the server sends this browser. */
  onEvent(listener: (event: CommandEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  destroy(): void {
    window.removeEventListener('offline', this.onOffline)
    window.removeEventListener('online', this.onOnline)
    this.provider.destroy()
    this.listeners.clear()
    this.eventListeners.clear()
  }

  private receiveCommandMessage(text: string): void {
    const message = decodePayload(text)
    if (message === null) return
    if ('event' in message) {
      for (const listener of this.eventListeners) listener(message.event)
      return
    }
    const reply = message.reply
    const resolve = this.pending.get(reply.id)
    if (resolve !== undefined) {
      this.pending.delete(reply.id)
      resolve(reply)
    }
  }

  private dispatch(event: ConnectionEvent): void {
    const next = nextConnectionState(this.current, event)
    if (next === this.current) return
    this.current = next
    for (const listener of this.listeners) listener(next)
  }
}
