/** pairbook's HTTP API (docs/http-api.md): the browser client's own `Api` (client/src/api.ts),
 * pointed at the room's server from JupyterLab's page, with the person's token in the
 * Authorization header. The server answers a JupyterLab on another origin only when it was
 * started with `--allow-origin` for it. */

import { Api, ApiError } from '../../client/src/api'

export { Api, ApiError } from '../../client/src/api'
export type { Me, NotebookEntry, Role, User } from '../../client/src/api'

/** The API of the pairbook server at `server` (an origin), as the person with `token`. */
export function apiAt(server: string, token: string): Api {
  return new Api(token, server)
}

/** `call`, with a refusal to answer at all explained: from another origin, a server without
 * `--allow-origin` for this page looks exactly like one that is not running. */
export async function reaching<T>(server: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 0) throw error
    const origin = globalThis.location?.origin ?? "this page's origin"
    throw new ApiError(0, `cannot read pairbook at ${server}: is it running, and started with --allow-origin ${origin}?`)
  }
}
