/** Joining a room from its link: the person's grant (GET /api/me); an invite is first
 * spent on a personal token under the name the person gives (POST /api/join). */

import { ApiError, PairbookApi, type Fetch, type Me } from './api'
import type { PairbookLink } from './link'
import { PairbookSession } from './session'

/** The session for a link, or null when the person cancelled (`ask` asks the name to join
 * under); throws ApiError with the server's reason when it refuses (a used invite, a taken
 * name, an origin not allowed). */
export async function joinRoom(
  link: PairbookLink,
  ask: () => Promise<string | null>,
  fetcher?: Fetch
): Promise<PairbookSession | null> {
  let api = new PairbookApi(link.server, link.token, fetcher)
  let me: Me = await api.me()
  if (me.invite) {
    const name = await ask()
    if (name === null) return null
    const joined = await api.join(name)
    api = new PairbookApi(link.server, joined.token, fetcher)
    me = await api.me()
  }
  if (me.user === null) throw new ApiError(401, 'the server granted no person for this link')
  return new PairbookSession(link.server, api.token, me, fetcher)
}
