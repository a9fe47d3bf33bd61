import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'

import { RoomKernelContext, roomKernelDisplay } from '../src/kernelStatus'
import type { RoomConnection } from '../src/room'
import type { PairbookSession } from '../src/session'

function kernelDoc(entries: Record<string, unknown>): Y.Doc {
  const doc = new Y.Doc()
  for (const [key, value] of Object.entries(entries)) doc.getMap('kernel').set(key, value)
  return doc
}

/** A session with one connection, at `path`, whose provider says `status` events. */
function sessionWith(path: string, doc: Y.Doc): { session: PairbookSession; say: (status: string) => void } {
  const handlers = new Set<(event: { status: string }) => void>()
  const provider = {
    wsconnected: true,
    on: (_: string, f: (event: { status: string }) => void) => handlers.add(f),
    off: (_: string, f: (event: { status: string }) => void) => handlers.delete(f)
  }
  const room = { options: { doc }, provider } as unknown as RoomConnection
  const session = { roomAt: (at: string) => (at === path ? room : undefined) } as unknown as PairbookSession
  return { session, say: (status) => handlers.forEach((f) => f({ status })) }
}

describe('roomKernelDisplay', () => {
  it("names the room's kernel and says its status as JupyterLab's own would", () => {
    const doc = kernelDoc({ display_name: 'Python 3 (ipykernel)', status: 'idle' })
    expect(roomKernelDisplay(doc, 'connected')).toEqual({ name: 'Room kernel: Python 3 (ipykernel)', status: 'idle' })
  })

  it('says busy during a run, even while the status still says starting', () => {
    const doc = kernelDoc({ display_name: 'Python 3', status: 'starting', current: { status: 'running', user: { name: 'Ada' } } })
    expect(roomKernelDisplay(doc, 'connected').status).toBe('busy')
  })

  it("puts a status JupyterLab has no word for after the kernel's name", () => {
    expect(roomKernelDisplay(kernelDoc({ display_name: 'Python 3', status: 'not started' }), 'connected')).toEqual({
      name: 'Room kernel: Python 3 (not started)',
      status: ''
    })
    expect(roomKernelDisplay(new Y.Doc(), 'connected').name).toBe('Room kernel: not chosen yet (not started)')
  })

  it("says the room's connection while it is not connected (the map may be stale)", () => {
    const doc = kernelDoc({ display_name: 'Python 3', status: 'idle' })
    expect(roomKernelDisplay(doc, 'connecting').status).toBe('connecting')
    expect(roomKernelDisplay(doc, 'disconnected').status).toBe('disconnected')
    expect(roomKernelDisplay(null, 'connected').status).toBe('connecting')
  })
})

describe('RoomKernelContext', () => {
  it('follows the kernel map and the connection of the room at its path', () => {
    const doc = kernelDoc({ display_name: 'Python 3', status: 'idle' })
    const { session, say } = sessionWith('a.ipynb', doc)
    const context = new RoomKernelContext('a.ipynb')
    const statuses: string[] = []
    let renamed = 0
    context.statusChanged.connect((_, status) => statuses.push(status))
    context.kernelChanged.connect(() => (renamed += 1))
    context.follow(null)
    expect(context.kernelDisplayStatus).toBe('connecting')
    context.follow(session)
    expect([context.kernelDisplayName, context.kernelDisplayStatus]).toEqual(['Room kernel: Python 3', 'idle'])
    expect(renamed).toBe(1)
    doc.getMap('kernel').set('status', 'busy')
    say('disconnected')
    expect(statuses.slice(-2)).toEqual(['busy', 'disconnected'])
    context.dispose()
    doc.getMap('kernel').set('status', 'idle')
    expect(context.kernelDisplayStatus).toBe('disconnected') // no longer follows
  })

  it('leaves JupyterLab\'s "Select Kernel" dialog out of a room notebook', () => {
    expect(new RoomKernelContext('a.ipynb').isDisposed).toBe(true)
  })
})
