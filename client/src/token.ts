/** The person's token: taken from the link they opened, then kept out of the address bar.
 *
 * The token never stays in a URL: there it would be in the history, in a Referer and in
 * any screenshot. A link's `?token=` is moved into sessionStorage at once (this tab only,
 * so a reload before joining still works) and the address bar is rewritten; once the
 * server has accepted it (and an invite was exchanged for a personal token), the token
 * goes to localStorage for later visits.
 */

const KEY = 'pairbook.token'
const PENDING_KEY = 'pairbook.pending-token'

/** The `?token=` of the page's URL, if any. */
export function tokenFromUrl(location: Location): string | null {
  return new URL(location.href).searchParams.get('token')
}

/** Takes the token out of the address bar (it is kept in storage instead). */
export function stripTokenFromUrl(location: Location, history: History): void {
  const url = new URL(location.href)
  if (!url.searchParams.has('token')) return
  url.searchParams.delete('token')
  history.replaceState(history.state, '', url.pathname + url.search + url.hash)
}

/** Moves the link's `?token=` into this tab's storage and out of the address bar; the
 * token this tab should use: the link's (new or from before a reload), else the kept one. */
export function takeToken(location: Location, history: History): { token: string | null; fromLink: boolean } {
  const fromUrl = tokenFromUrl(location)
  if (fromUrl !== null) {
    write(sessionStorage, PENDING_KEY, fromUrl)
    stripTokenFromUrl(location, history)
  }
  const pending = read(sessionStorage, PENDING_KEY) ?? fromUrl
  if (pending !== null) return { token: pending, fromLink: true }
  return { token: read(localStorage, KEY), fromLink: false }
}

/** The server accepted `token`: keep it for later visits, drop the link's. */
export function storeToken(token: string): void {
  write(localStorage, KEY, token)
  remove(sessionStorage, PENDING_KEY)
}

/** The server refused the token this tab used. */
export function forgetToken(fromLink: boolean): void {
  if (fromLink) remove(sessionStorage, PENDING_KEY)
  else remove(localStorage, KEY)
}

function read(storage: Storage, key: string): string | null {
  try {
    return storage.getItem(key)
  } catch {
    return null
  }
}

function write(storage: Storage, key: string, value: string): void {
  try {
    storage.setItem(key, value)
  } catch {
    // Storage disabled: the token then lives only as long as the page.
  }
}

function remove(storage: Storage, key: string): void {
  try {
    storage.removeItem(key)
  } catch {
    // nothing stored
  }
}
