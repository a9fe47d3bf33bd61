import { afterEach, describe, expect, it, vi } from 'vitest'

import { ApiError } from '../src/api'
import { joinRoom } from '../src/join'

interface Call {
  url: string
  method: string
  auth: string | null
  body: unknown
}

/** Stands a pairbook server's answers (by "METHOD /path") in for `fetch`; the calls it saw. */
function serve(routes: Record<string, (call: Call) => [number, unknown]>): Call[] {
  const calls: Call[] = []
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>
    const call = {
      url,
      method: init?.method ?? 'GET',
      auth: headers.Authorization ?? null,
      body: init?.body ? JSON.parse(String(init.body)) : null
    }
    calls.push(call)
    const route = routes[`${call.method} ${new URL(url).pathname}`]
    const [status, body] = route ? route(call) : [404, { error: 'no such route' }]
    return new Response(JSON.stringify(body), { status })
  })
  return calls
}

afterEach(() => {
  vi.unstubAllGlobals()
})

const ADA = { id: 'u-1', name: 'Ada', color: '#123456' }
const SERVER = 'http://pb:8888'

describe('joinRoom', () => {
  it('spends an invite on a personal token under the name given, token never in a URL', async () => {
    const calls = serve({
      'GET /api/me': (call) =>
        call.auth === 'Bearer invite-1'
          ? [200, { role: 'editor', user: null, invite: true }]
          : [200, { role: 'editor', user: ADA, invite: false }],
      'POST /api/join': () => [201, { token: 'personal-1', role: 'editor', user: ADA }]
    })
    const session = await joinRoom({ server: SERVER, token: 'invite-1', notebook: null }, async () => 'Ada')
    expect(session?.token).toBe('personal-1')
    expect(session?.me.user).toEqual(ADA)
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ invite: 'invite-1', name: 'Ada' })
    expect(calls.every((c) => c.url.startsWith(`${SERVER}/api/`) && !c.url.includes('invite-1'))).toBe(true)
  })

  it('joins with a personal token as it is, and stops when the person cancels the name', async () => {
    serve({ 'GET /api/me': () => [200, { role: 'viewer', user: ADA, invite: false }] })
    const session = await joinRoom({ server: SERVER, token: 'mine', notebook: null }, async () => null)
    expect(session?.token).toBe('mine')
    const calls = serve({ 'GET /api/me': () => [200, { role: 'editor', user: null, invite: true }] })
    expect(await joinRoom({ server: SERVER, token: 'i', notebook: null }, async () => null)).toBeNull()
    expect(calls.map((c) => c.method)).toEqual(['GET'])
  })

  it("gives the server's reason for a refusal", async () => {
    serve({ 'GET /api/me': () => [401, { error: 'unknown token: ask the owner for an invite' }] })
    const joining = joinRoom({ server: SERVER, token: 'bad', notebook: null }, async () => 'Ada')
    await expect(joining).rejects.toBeInstanceOf(ApiError)
    await expect(joining).rejects.toThrow(/ask the owner/)
  })

  it('says to check --allow-origin when the server cannot be read at all', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(joinRoom({ server: SERVER, token: 't', notebook: null }, async () => 'Ada')).rejects.toThrow(
      /--allow-origin/
    )
  })
})
