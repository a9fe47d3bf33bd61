/** pairbook's command channel: message type 100 on the room's websocket, carrying JSON.
 *
 * A frame is the varUint message type (100, one byte) followed by a lib0 varString (varUint
 * byte length, then UTF-8) holding `{"id": n, "command": "...", ...}`. Replies echo the id:
 * `{"id", "ok": true, "result"}` or `{"id", "ok": false, "error"}`; events have no id
 * (`{"event": "input-request", ...}`). Pure: encoding and decoding only.
 */

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const COMMAND_MESSAGE = 100

/** Every command the server answers (spec/protocol.json lists the same; a test compares). */
export const COMMAND_NAMES = [
  'run',
  'run-all',
  'run-above',
  'run-below',
  'cancel',
  'interrupt',
  'restart',
  'shutdown',
  'input-reply',
  'kernels',
  'set-kernel',
  'refresh-state',
  'packages',
  'complete',
  'inspect',
  'widget',
  'whoami',
  'presence',
  'mob-clock',
  'mob-taken',
  'mob-mode',
  'mob-join',
  'mob-leave',
  'mob-reorder',
  'mob-settings',
  'mob-handover',
  'mob-take',
  'mob-consent',
  'mob-chat',
  'mob-summary',
  'mob-break',
  'mob-reset',
  'recording',
  'restore',
  'blame',
  'check'
] as const

export type CommandName = (typeof COMMAND_NAMES)[number]

export interface CommandReply {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

export interface InputRequest {
  event: 'input-request'
  execution: string
  cell: string
  prompt: string
  password: boolean
}

export type CommandEvent = InputRequest | { event: string; [key: string]: unknown }

/** The whole binary frame for a command. */
export function encodeCommand(id: number, command: CommandName | string, args: Record<string, unknown> = {}): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, COMMAND_MESSAGE)
  encoding.writeVarString(encoder, JSON.stringify({ ...args, id, command }))
  return encoding.toUint8Array(encoder)
}

/** What a type-100 message's payload (after the type byte) says: a reply, an event, or
 * null when it is neither (not JSON, or an object of another shape). */
export function decodePayload(text: string): { reply: CommandReply } | { event: CommandEvent } | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const object = value as Record<string, unknown>
  if (typeof object.event === 'string' && object.id === undefined) return { event: object as CommandEvent }
  if (typeof object.id === 'number' && typeof object.ok === 'boolean') return { reply: object as unknown as CommandReply }
  return null
}

/** Decodes a whole frame; null if it is not a pairbook frame or not understood. */
export function decodeFrame(frame: Uint8Array): ReturnType<typeof decodePayload> {
  try {
    const decoder = decoding.createDecoder(frame)
    if (decoding.readVarUint(decoder) !== COMMAND_MESSAGE) return null
    return decodePayload(decoding.readVarString(decoder))
  } catch {
    return null
  }
}

export function isInputRequest(event: CommandEvent): event is InputRequest {
  return event.event === 'input-request' && typeof event.execution === 'string' && typeof event.cell === 'string'
}
