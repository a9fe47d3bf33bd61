import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate } from 'y-protocols/sync'
import { messageAuth, messageAwareness, messageQueryAwareness, messageSync } from 'y-websocket'
import { describe, expect, it } from 'vitest'

import protocol from '../../spec/protocol.json'
import { CloseCode } from '../src/closeCodes'
import { COMMAND_MESSAGE, COMMAND_NAMES } from '../src/commands'
import { DocMap, SERVER_AUTHOR_PREFIX } from '../src/schema'

// spec/protocol.json is written from the server's command table
// (python -m pairbook.rooms.services --write): server and client cannot drift apart.
describe('the protocol the server declares', () => {
  it('has exactly the commands the client knows', () => {
    const server = protocol.commands.map((command) => command.name).sort()
    expect([...COMMAND_NAMES].sort()).toEqual(server)
  })

  it('numbers the message types as the client does', () => {
    expect(protocol.message_types).toEqual({
      sync: messageSync,
      awareness: messageAwareness,
      auth: messageAuth,
      query_awareness: messageQueryAwareness,
      command: COMMAND_MESSAGE
    })
    expect(protocol.sync_types).toEqual({ step1: messageYjsSyncStep1, step2: messageYjsSyncStep2, update: messageYjsUpdate })
  })

  it('has every close code the client acts on, with the same number', () => {
    const codes: Record<string, number> = protocol.close_codes
    for (const [name, code] of Object.entries(CloseCode)) {
      expect(codes[name], name).toBe(code)
    }
  })

  it('names the document\'s top-level maps and the server\'s authors as the client does', () => {
    expect(protocol.document.maps).toEqual(DocMap)
    expect(protocol.document.server_author_prefix).toBe(SERVER_AUTHOR_PREFIX)
  })
})
