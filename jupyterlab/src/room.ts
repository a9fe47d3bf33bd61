/** One notebook of a pairbook room, bound to a JupyterLab shared model: a stock y-websocket
 * provider on `/rooms/<path>` syncs the YNotebook (pairbook's document is already the
 * jupyter-ydoc schema), its awareness carries presence (the server stamps the identity it
 * grants), and pairbook's command frames (type 100) ride on the same socket. */

import { PromiseDelegate } from '@lumino/coreutils'
import { Signal, type ISignal } from '@lumino/signaling'
import type { Awareness } from 'y-protocols/awareness'
import * as decoding from 'lib0/decoding'
import { readAuthMessage } from 'y-protocols/auth'
import { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'

import { ticketSocketClass, type TicketSource } from '../../client/src/ticketSocket'
import { roomName, roomsUrl } from './link'
import {
  AUTH_MESSAGE,
  COMMAND_MESSAGE,
  decodeCommandPayload,
  encodeCommand,
  finalCloseReason,
  type CommandEvent,
  type CommandReply
} from './protocol'

export interface RoomOptions {
  server: string
  /** A fresh single-use websocket ticket (POST /api/tickets): the token stays out of URLs. */
  ticket: TicketSource
  path: string
  doc: Y.Doc
  awareness: Awareness
}

export class RoomConnection {
  readonly provider: WebsocketProvider
  private readonly synced = new PromiseDelegate<void>()
  private readonly ended = new PromiseDelegate<void>()
  private readonly pending = new Map<number, (reply: CommandReply) => void>()
  private readonly events = new Signal<this, CommandEvent>(this)
  private readonly refused = new Signal<this, string>(this)
  private nextId = 1
  private hasSynced = false
  private closedFor: string | null = null

  constructor(readonly options: RoomOptions) {
    this.synced.promise.catch(() => undefined) // a caller that never waits is no error
    this.provider = new WebsocketProvider(roomsUrl(options.server), roomName(options.path), options.doc, {
      awareness: options.awareness,
      // Each connection (and reconnection) opens with a fresh ticket, as the browser client's.
      WebSocketPolyfill: ticketSocketClass(options.ticket),
      // Two JupyterLab tabs must each talk to the server: it checks roles per connection.
      disableBc: true,
      maxBackoffTime: 5000,
      shouldReconnect: (event) => finalCloseReason(event.code) === null
    })
    this.provider.messageHandlers[COMMAND_MESSAGE] = (_encoder, decoder) => {
      this.receive(decoding.readVarString(decoder))
    }
    this.provider.messageHandlers[AUTH_MESSAGE] = (_encoder, decoder, provider) => {
      readAuthMessage(decoder, provider.doc, (_doc, reason) => this.refused.emit(reason))
    }
    this.provider.on('sync', (isSynced: boolean) => {
      if (isSynced && !this.hasSynced) {
        this.hasSynced = true
        this.synced.resolve()
      }
    })
    this.provider.on('connection-close', (event) => {
      for (const resolve of this.pending.values()) resolve({ id: 0, ok: false, error: 'disconnected' })
      this.pending.clear()
      const reason = event === null ? null : finalCloseReason(event.code)
      if (reason !== null && event !== null) {
        this.closedFor = event.reason ? `${reason} (${event.reason})` : reason
        if (!this.hasSynced) this.synced.reject(new Error(this.closedFor))
        this.ended.resolve()
      }
    })
  }

  /** Resolves once the document has synced with the room; rejects if the server refused
   * the connection for good before that (the reason says why and what to do). */
  get ready(): Promise<void> {
    return this.synced.promise
  }

  /** Resolves when the connection ended for good (refused, or destroyed). */
  get closed(): Promise<void> {
    return this.ended.promise
  }

  /** Why the server closed this connection for good, or null while it is live or retrying. */
  get closedReason(): string | null {
    return this.closedFor
  }

  /** Emitted for every pairbook event this connection receives (input-request, …). */
  get eventReceived(): ISignal<this, CommandEvent> {
    return this.events
  }

  /** Emitted when the server refused one of this connection's edits (permission denied). */
  get editRefused(): ISignal<this, string> {
    return this.refused
  }

  /** Sends a command after everything typed so far (same socket, in order) and resolves with
   * the server's reply; `{ok: false}` when not connected. */
  command(name: string, args: Record<string, unknown> = {}): Promise<CommandReply> {
    const ws = this.provider.ws
    if (ws === null || ws.readyState !== WebSocket.OPEN || !this.provider.synced) {
      return Promise.resolve({ id: 0, ok: false, error: this.closedFor ?? 'not connected to the room' })
    }
    const id = this.nextId++
    ws.send(encodeCommand(id, name, args))
    return new Promise((resolve) => this.pending.set(id, resolve))
  }

  destroy(): void {
    for (const resolve of this.pending.values()) resolve({ id: 0, ok: false, error: 'closed' })
    this.pending.clear()
    this.provider.destroy()
    this.ended.resolve()
    Signal.clearData(this)
  }

  private receive(text: string): void {
    const message = decodeCommandPayload(text)
    if (message === null) {
      console.warn('pairbook: a command frame that is neither a reply nor an event', text.slice(0, 200))
    } else if ('event' in message && typeof message.event === 'string') {
      this.events.emit(message as CommandEvent)
    } else {
      const reply = message as CommandReply
      this.pending.get(reply.id)?.(reply)
      this.pending.delete(reply.id)
    }
  }
}
