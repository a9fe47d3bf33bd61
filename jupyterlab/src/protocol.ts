/** pairbook's command channel on the room's websocket (docs/protocol.md, "pairbook
 * commands"): message type 100, a lib0 varString of JSON with an `id`; replies echo it
 * (`{"id", "ok", "result" | "error"}`), events carry `event` and no id. Close codes say
 * whether to reconnect. Pure: encoding, decoding and tables only. */

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const COMMAND_MESSAGE = 100
export const AUTH_MESSAGE = 2

export interface CommandReply {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

export interface CommandEvent {
  event: string
  [key: string]: unknown
}

export interface InputRequest extends CommandEvent {
  event: 'input-request'
  execution: string
  cell: string
  prompt: string
  password: boolean
}

/** The whole binary frame for one command. */
export function encodeCommand(id: number, command: string, args: Record<string, unknown> = {}): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, COMMAND_MESSAGE)
  encoding.writeVarString(encoder, JSON.stringify({ ...args, id, command }))
  return encoding.toUint8Array(encoder)
}

/** A reply or an event from a command frame's payload (after the type); null for JSON that
 * is neither (logged by the caller, never thrown: the server's frame is not ours to break). */
export function decodeCommandPayload(text: string): CommandReply | CommandEvent | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const record = value as Record<string, unknown>
  if (typeof record.id === 'number' && typeof record.ok === 'boolean') return record as unknown as CommandReply
  if (typeof record.event === 'string') return record as CommandEvent
  return null
}

/** Reads the varString payload of a frame whose type was already read. */
export function readPayload(decoder: decoding.Decoder): string {
  return decoding.readVarString(decoder)
}

export function isInputRequest(event: CommandEvent): event is InputRequest {
  return (
    event.event === 'input-request' &&
    typeof event.execution === 'string' &&
    typeof event.prompt === 'string'
  )
}

/** Close codes after which reconnecting cannot help (docs/protocol.md, "Close codes"). */
const FINAL_CLOSES: Record<number, string> = {
  1002: 'the server could not read what this client sent',
  1003: 'the server expects binary frames',
  1009: 'a message was larger than the server allows',
  4401: 'the token is no longer valid: open the room with a new link',
  4403: 'refused: start pairbook with --allow-origin for this JupyterLab',
  4404: 'no such notebook in this room',
  4409: 'the room changed underneath this copy: close the notebook and open it again'
}

/** Why the connection must stay closed, or null when reconnecting is right (1001, 1006,
 * 1008, 1011, 4408, 4413: the server or the network, not this client, ended it). */
export function finalCloseReason(code: number): string | null {
  return FINAL_CLOSES[code] ?? null
}
