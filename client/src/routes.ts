/** The client's URLs: the notebook list at `/`, a notebook at `/notebooks/<path>`, its review
 * at `/notebooks/<path>/review` (`?since=` a commit or time), its replay at `/replay/<path>`
 * (`?seq=N` for a moment). */

/** The room segment for a notebook path: each segment escaped, slashes kept. */
export function roomName(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/** The path of a new notebook named `name`: the server adds `.ipynb` when it is missing. */
export function newNotebookPath(name: string): string {
  const path = name.trim()
  return path.endsWith('.ipynb') ? path : `${path}.ipynb`
}

export function notebookHref(path: string): string {
  return `/notebooks/${roomName(path)}`
}

/** The notebook path of a `/notebooks/<path>` URL, or null for the list page. */
export function notebookPathOf(pathname: string): string | null {
  const prefix = '/notebooks/'
  if (!pathname.startsWith(prefix) || pathname.length === prefix.length) return null
  try {
    return pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/')
  } catch {
    return null
  }
}

export function replayHref(path: string, seq?: number): string {
  return `/replay/${roomName(path)}${seq === undefined ? '' : `?seq=${seq}`}`
}

/** The notebook path of a `/replay/<path>` URL, or null. */
export function replayPathOf(pathname: string): string | null {
  if (!pathname.startsWith('/replay/')) return null
  return notebookPathOf(pathname.replace(/^\/replay\//, '/notebooks/'))
}

/** The review page of a notebook: its net change since a commit or a time (epoch seconds). */
export function reviewHref(path: string, since?: string | number): string {
  const query = since === undefined ? '' : `?since=${encodeURIComponent(String(since))}`
  return `/notebooks/${roomName(path)}/review${query}`
}

/** The notebook path of a `/notebooks/<path>/review` URL, or null. */
export function reviewPathOf(pathname: string): string | null {
  if (!pathname.endsWith('.ipynb/review')) return null
  return notebookPathOf(pathname.slice(0, -'/review'.length))
}
