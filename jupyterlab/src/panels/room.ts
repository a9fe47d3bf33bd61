/** What pairbook's panels need from a room a JupyterLab notebook is bound to: its shared
 * document (the server's own maps sit beside the notebook's `cells`), where the pairbook
 * server is, the notebook's path there, who is looking, and the command channel. */

import type * as Y from 'yjs'

import type { Viewer } from './mobView'

/** A command's reply (docs/protocol.md): `result` when ok, `error` when refused; null when
 * the room is not connected. */
export interface PanelReply {
  ok: boolean
  result?: unknown
  error?: string
}

export interface PanelRoom {
  /** The notebook's shared document (the one its y-websocket provider syncs). */
  readonly doc: Y.Doc
  /** The pairbook server's address: `https://host:port/`. */
  readonly server: string
  /** The notebook's path in the room (its room name, unescaped). */
  readonly path: string
  /** Who this JupyterLab user is in the room (null id until the server said). */
  me(): Viewer
  /** Sends a pairbook command. */
  request(command: string, args?: Record<string, unknown>): Promise<PanelReply | null>
}

/** The clock skew to add to this machine's time to get the server's, from a `mob-clock`
 * reply that took from `sent` to `received` (seconds since the epoch, local): the server
 * read its clock, we assume, halfway. Null when the reply has no time. */
export function clockOffset(result: unknown, sent: number, received: number): number | null {
  const now = typeof result === 'object' && result !== null ? (result as Record<string, unknown>).now : null
  return typeof now === 'number' && Number.isFinite(now) ? now - (sent + received) / 2 : null
}

/** Who this person is, from pairbook's `whoami` reply (`{"user": {id, ...}, "role"}`):
 * nobody known (a null id, viewing only) until it says. */
export function viewerOf(whoami: unknown): Viewer {
  const reply = typeof whoami === 'object' && whoami !== null ? (whoami as Record<string, unknown>) : {}
  const user = typeof reply.user === 'object' && reply.user !== null ? (reply.user as Record<string, unknown>) : {}
  const id = typeof user.id === 'string' ? user.id : null
  const role = typeof reply.role === 'string' ? reply.role : 'viewer'
  return { id, owner: role === 'owner', viewer: id === null || role === 'viewer' }
}
