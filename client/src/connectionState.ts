/** The connection's state as a person sees it, driven by provider and browser events. */

import { closeOutcome } from './closeCodes'

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempts: number }
  | { kind: 'offline' }
  | { kind: 'reload'; reason: string }
  | { kind: 'denied'; code: number; reason: string }

export type ConnectionEvent =
  | { type: 'opened' }
  | { type: 'synced' }
  | { type: 'closed'; code: number; reason: string }
  | { type: 'offline' }
  | { type: 'online' }

/** States that end the connection for good (until the page is reloaded). */
export function isTerminal(state: ConnectionState): boolean {
  return state.kind === 'reload' || state.kind === 'denied'
}

export function nextConnectionState(
  state: ConnectionState,
  event: ConnectionEvent
): ConnectionState {
  if (isTerminal(state)) return state
  switch (event.type) {
    case 'opened':
      // Open is not live yet: we are live once the server's state has been merged.
      return state
    case 'synced':
      return state.kind === 'offline' ? state : { kind: 'connected' }
    case 'closed': {
      const outcome = closeOutcome(event.code)
      if (outcome === 'reload') return { kind: 'reload', reason: event.reason }
      if (outcome === 'denied') return { kind: 'denied', code: event.code, reason: event.reason }
      if (state.kind === 'offline') return state
      const attempts = state.kind === 'reconnecting' ? state.attempts + 1 : 1
      return { kind: 'reconnecting', attempts }
    }
    case 'offline':
      return { kind: 'offline' }
    case 'online':
      return state.kind === 'offline' ? { kind: 'reconnecting', attempts: 0 } : state
  }
}

export function describeState(state: ConnectionState): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…'
    case 'connected':
      return 'Connected'
    case 'reconnecting':
      return 'Reconnecting…'
    case 'offline':
      return 'Offline: your edits are kept and merge when you are back'
    case 'reload':
      return 'Reload needed'
    case 'denied':
      return 'Disconnected'
  }
}
