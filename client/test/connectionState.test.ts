import { describe, expect, it } from 'vitest'

import { type ConnectionState, isTerminal, nextConnectionState } from '../src/connectionState'

const connecting: ConnectionState = { kind: 'connecting' }

describe('nextConnectionState', () => {
  it('is connected once the server state is merged, not when the socket opens', () => {
    const opened = nextConnectionState(connecting, { type: 'opened' })
    expect(opened.kind).toBe('connecting')
    expect(nextConnectionState(opened, { type: 'synced' })).toEqual({ kind: 'connected' })
  })

  it('counts reconnection attempts after transient closes', () => {
    let state = nextConnectionState({ kind: 'connected' }, { type: 'closed', code: 1001, reason: '' })
    expect(state).toEqual({ kind: 'reconnecting', attempts: 1 })
    state = nextConnectionState(state, { type: 'closed', code: 1006, reason: '' })
    expect(state).toEqual({ kind: 'reconnecting', attempts: 2 })
    expect(nextConnectionState(state, { type: 'synced' })).toEqual({ kind: 'connected' })
  })

  it('stays offline until the browser is back online, whatever the socket says', () => {
    let state = nextConnectionState({ kind: 'connected' }, { type: 'offline' })
    expect(state.kind).toBe('offline')
    state = nextConnectionState(state, { type: 'closed', code: 1006, reason: '' })
    expect(state.kind).toBe('offline')
    state = nextConnectionState(state, { type: 'online' })
    expect(state.kind).toBe('reconnecting')
  })

  it('keeps a reload or a refusal for good', () => {
    const reload = nextConnectionState({ kind: 'connected' }, { type: 'closed', code: 4409, reason: 'reload: old' })
    expect(reload).toEqual({ kind: 'reload', reason: 'reload: old' })
    expect(isTerminal(reload)).toBe(true)
    expect(nextConnectionState(reload, { type: 'synced' })).toBe(reload)
    const denied = nextConnectionState(connecting, { type: 'closed', code: 4401, reason: 'unknown token' })
    expect(denied).toEqual({ kind: 'denied', code: 4401, reason: 'unknown token' })
    expect(nextConnectionState(denied, { type: 'online' })).toBe(denied)
  })
})
