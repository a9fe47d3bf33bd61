/** Joining a room from its link: the person's grant (GET /api/me); an invite is first
 * spent on a personal token under the name the person gives (POST /api/join). */

import { InputDialog } from '@jupyterlab/apputils'

import { ApiError, PairbookApi, type Me } from './api'
import type { PairbookLink } from './link'
import { PairbookSession } from './session'

/** Asks the name to join under; null when the person cancels. */
async function askName(): Promise<string | null> {
  const answer = await InputDialog.getText({
    title: 'Join the pairbook room',
    label: 'Your name, as the others will see it',
    okLabel: 'Join'
  })
  return answer.button.accept && answer.value ? answer.value.trim() || null : null
}

/** The session for a link, or null when the person cancelled; throws ApiError with the
 * server's reason when it refuses (a used invite, a taken name, an origin not allowed). */
export async function joinRoom(link: PairbookLink, ask: () => Promise<string | null> = askName): Promise<PairbookSession | null> {
  let api = new PairbookApi(link.server, link.token)
  let me: Me = await api.me()
  if (me.invite) {
    const name = await ask()
    if (name === null) return null
    const joined = await api.join(name)
    api = new PairbookApi(link.server, joined.token)
    me = await api.me()
  }
  if (me.user === null) throw new ApiError(401, 'the server granted no person for this link')
  return new PairbookSession(link.server, api.token, me)
}
