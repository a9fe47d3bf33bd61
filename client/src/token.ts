/** The person's token: taken from the link they opened, then kept in localStorage. */

const KEY = 'pairbook.token'

/** The `?token=` of the page's URL, if any. */
export function tokenFromUrl(location: Location): string | null {
  return new URL(location.href).searchParams.get('token')
}

/** Takes the token out of the address bar (it is kept in localStorage instead). */
export function stripTokenFromUrl(location: Location, history: History): void {
  const url = new URL(location.href)
  if (!url.searchParams.has('token')) return
  url.searchParams.delete('token')
  history.replaceState(history.state, '', url.pathname + url.search + url.hash)
}

export function storedToken(): string | null {
  try {
    return localStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function storeToken(token: string): void {
  try {
    localStorage.setItem(KEY, token)
  } catch {
    // Storage disabled: the token then lives only as long as the page.
  }
}

export function forgetToken(): void {
  try {
    localStorage.removeItem(KEY)
  } catch {
    // nothing stored
  }
}
