import * as decoding from 'lib0/decoding'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

import { AUTH_MESSAGE, COMMAND_MESSAGE, decodeCommandPayload, encodeCommand, finalCloseReason, isInputRequest } from '../src/protocol'

const spec = JSON.parse(readFileSync(new URL('../../spec/protocol.json', import.meta.url), 'utf8'))

describe('command frames', () => {
  it('use the message type and the commands the server declares', () => {
    expect(spec.message_types.command).toBe(COMMAND_MESSAGE)
    expect(spec.message_types.auth).toBe(AUTH_MESSAGE)
    const names = spec.commands.map((c: { name: string }) => c.name)
    for (const used of ['run', 'interrupt', 'restart', 'input-reply']) expect(names).toContain(used)
    const run = spec.commands.find((c: { name: string }) => c.name === 'run')
    expect(run.args.map((a: { name: string }) => a.name)).toEqual(['cells'])
  })

  it('encode the type, then the JSON with the id and command last (an arg cannot override them)', () => {
    const frame = encodeCommand(7, 'run', { cells: ['c1'], id: 99, command: 'restart' })
    const decoder = decoding.createDecoder(frame)
    expect(decoding.readVarUint(decoder)).toBe(COMMAND_MESSAGE)
    expect(JSON.parse(decoding.readVarString(decoder))).toEqual({ cells: ['c1'], id: 7, command: 'run' })
  })

  it('decode replies and events, and nothing else', () => {
    expect(decodeCommandPayload('{"id": 3, "ok": true, "result": {"queued": ["r1"]}}')).toEqual({
      id: 3,
      ok: true,
      result: { queued: ['r1'] }
    })
    const event = decodeCommandPayload(
      '{"event": "input-request", "execution": "r1", "cell": "c", "prompt": "name? ", "password": false}'
    )
    expect(event !== null && 'event' in event && isInputRequest(event)).toBe(true)
    expect(decodeCommandPayload('not json')).toBeNull()
    expect(decodeCommandPayload('[1]')).toBeNull()
    expect(decodeCommandPayload('{"id": "3", "ok": true}')).toBeNull()
  })
})

describe('close codes', () => {
  it('stop reconnecting where the server said no for good, and only there', () => {
    for (const code of [4401, 4403, 4404, 4409, 1002, 1003, 1009]) expect(finalCloseReason(code)).not.toBeNull()
    for (const code of [1001, 1006, 1008, 1011, 4408, 4413]) expect(finalCloseReason(code)).toBeNull()
    const names = Object.values(spec.close_codes as Record<string, number>)
    for (const code of [4401, 4403, 4404, 4409, 4408, 4413]) expect(names).toContain(code)
  })
})
