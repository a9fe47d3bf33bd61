/** The recorded people of a replayed moment: their awareness states (cursors, selected
 * cells) as the recording's events change them, shown in the page as remote peers. */

import type { Awareness } from 'y-protocols/awareness'

import type { PresenceState, TimelineEvent } from './replayApi'

/** Applies the recorded awareness changes and leaves to the states, by client id. */
export function applyPresenceEvents(presence: Map<number, PresenceState>, events: TimelineEvent[]): void {
  for (const event of events) {
    if (event.kind === 'awareness') {
      const client = Number(event.data.client)
      const state = event.data.state as Record<string, unknown> | null
      if (state === null) presence.delete(client)
      else presence.set(client, { user: event.user, client, state })
    } else if (event.kind === 'leave') {
      for (const client of (event.data.clients as number[] | undefined) ?? []) presence.delete(client)
    }
  }
}

/** Puts the recorded states in the page's awareness, as remote peers' (and drops the rest). */
export function publishPresence(awareness: Awareness, presence: ReadonlyMap<number, PresenceState>): void {
  const removed = [...awareness.getStates().keys()].filter((id) => id !== awareness.clientID && !presence.has(id))
  for (const id of removed) awareness.states.delete(id)
  const updated: number[] = []
  for (const [client, entry] of presence) {
    if (client === awareness.clientID) continue
    awareness.states.set(client, entry.state)
    awareness.meta.set(client, { clock: 0, lastUpdated: Date.now() })
    updated.push(client)
  }
  awareness.emit('change', [{ added: [], updated, removed }, 'replay'])
}
