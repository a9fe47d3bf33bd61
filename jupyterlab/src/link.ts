/** A pairbook link as people share it: the server's address with `?token=` (a personal
 * token or an invite), optionally pointing at one notebook (`/notebooks/<path>`). Pure. Room
 * names and notebook paths are the browser client's own (client/src/routes.ts). */

import { notebookPathOf, roomName } from '../../client/src/routes'

export { roomName }

export interface PairbookLink {
  /** The server's origin, e.g. `http://localhost:8888` (no trailing slash). */
  server: string
  token: string
  /** The notebook the link points at, if any (a path relative to the served folder). */
  notebook: string | null
}

export class LinkError extends Error {}

/** Parses what the person pasted; throws LinkError saying what a link looks like. */
export function parseLink(text: string): PairbookLink {
  const trimmed = text.trim()
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new LinkError(
      `"${trimmed.slice(0, 80)}" is not a link: paste the whole pairbook link, ` +
        'e.g. http://localhost:8888/?token=…'
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LinkError(`a pairbook link starts with http:// or https://, not ${url.protocol}`)
  }
  const token = url.searchParams.get('token')
  if (token === null || token.trim() === '') {
    throw new LinkError('the link has no ?token=…: ask the room owner for an invite link')
  }
  return { server: url.origin, token: token.trim(), notebook: notebookPathOf(url.pathname) }
}

/** The websocket base of a server: `ws://host:port/rooms` (`wss:` for https). */
export function roomsUrl(server: string): string {
  const url = new URL(server)
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${url.host}/rooms`
}
