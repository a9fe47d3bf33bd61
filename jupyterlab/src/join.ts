/** Joining a room from its link: the person's grant (GET /api/me); an invite is first
 * spent on a personal token under the name the person gives (POST /api/join). */

import { ApiError, apiAt, reaching } from './api'
import type { PairbookLink } from './link'
import { PairbookSession } from './session'

/** The session for a link, or null when the person cancelled (`ask` asks the name to join
 * under); throws ApiError with the server's reason when it refuses (a used invite, a taken
 * name, an origin not allowed). */
export async function joinRoom(link: PairbookLink, ask: () => Promise<string | null>): Promise<PairbookSession | null> {
  let token = link.token
  let me = await reaching(link.server, () => apiAt(link.server, token).me())
  if (me.invite) {
    const name = await ask()
    if (name === null) return null
    token = (await apiAt(link.server, link.token).join(link.token, name)).token
    me = await apiAt(link.server, token).me()
  }
  if (me.user === null) throw new ApiError(401, 'the server granted no person for this link')
  return new PairbookSession(link.server, token, me)
}
