import { describe, expect, it } from 'vitest'

import { ApiError, PairbookApi, type Fetch } from '../src/api'
import { joinRoom } from '../src/join'

interface Call {
  url: string
  method: string
  auth: string | null
  body: unknown
}

/** A server's answers by route, and the calls it saw. */
function serverOf(routes: Record<string, (call: Call) => [number, unknown]>): { fetch: Fetch; calls: Call[] } {
  const calls: Call[] = []
  const fetch: Fetch = async (url, init) => {
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
  }
  return { fetch, calls }
}

const ADA = { id: 'u-1', name: 'Ada', color: '#123456' }

describe('PairbookApi', () => {
  it('sends the token in the Authorization header, never in the URL, and no cookies', async () => {
    const { fetch, calls } = serverOf({ 'GET /api/notebooks': () => [200, { notebooks: [{ path: 'a.ipynb', name: 'a.ipynb' }] }] })
    const api = new PairbookApi('http://pb:8888', 's3cret', fetch)
    expect(await api.notebooks()).toEqual([{ path: 'a.ipynb', name: 'a.ipynb' }])
    expect(calls[0].auth).toBe('Bearer s3cret')
    expect(calls[0].url).not.toContain('s3cret')
  })

  it("turns a refusal into an ApiError with the server's reason", async () => {
    const { fetch } = serverOf({ 'GET /api/me': () => [401, { error: 'unknown token: ask the owner for an invite' }] })
    const failure = new PairbookApi('http://pb:8888', 'bad', fetch).me()
    await expect(failure).rejects.toBeInstanceOf(ApiError)
    await expect(failure).rejects.toThrow(/ask the owner/)
  })

  it('says to check --allow-origin when the server cannot be read at all', async () => {
    const fetch: Fetch = async () => {
      throw new TypeError('Failed to fetch')
    }
    await expect(new PairbookApi('http://pb:8888', 't', fetch).me()).rejects.toThrow(/--allow-origin/)
  })
})

describe('joinRoom', () => {
  it('spends an invite on a personal token under the name given', async () => {
    const { fetch, calls } = serverOf({
      'GET /api/me': (call) =>
        call.auth === 'Bearer invite-1'
          ? [200, { role: 'editor', user: null, invite: true }]
          : [200, { role: 'editor', user: ADA, invite: false }],
      'POST /api/join': () => [201, { token: 'personal-1', role: 'editor', user: ADA }]
    })
    const session = await joinRoom({ server: 'http://pb:8888', token: 'invite-1', notebook: null }, async () => 'Ada', fetch)
    expect(session?.token).toBe('personal-1')
    expect(session?.me.user).toEqual(ADA)
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ invite: 'invite-1', name: 'Ada' })
  })

  it('joins with a personal token as it is, and stops when the person cancels the name', async () => {
    const { fetch } = serverOf({ 'GET /api/me': () => [200, { role: 'viewer', user: ADA, invite: false }] })
    const session = await joinRoom({ server: 'http://pb:8888', token: 'mine', notebook: null }, async () => null, fetch)
    expect(session?.token).toBe('mine')
    const invited = serverOf({ 'GET /api/me': () => [200, { role: 'editor', user: null, invite: true }] })
    expect(await joinRoom({ server: 'http://pb:8888', token: 'i', notebook: null }, async () => null, invited.fetch)).toBeNull()
    expect(invited.calls.map((c) => c.method)).toEqual(['GET'])
  })
})
