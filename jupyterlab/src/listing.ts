/** The room's notebooks (GET /api/notebooks, a flat list of paths) as the folders and files
 * of JupyterLab's contents API. Pure. */

import type { Contents } from '@jupyterlab/services'

import type { NotebookEntry } from './api'

export const NOTEBOOK_MIME = 'application/x-ipynb+json'

/** A notebook's contents model without content: the document comes over the websocket.
 * Its times are `now`: the room's document is live, there is no file time to show. */
export function notebookModel(path: string, writable: boolean, now: Date = new Date()): Contents.IModel {
  const stamp = now.toISOString()
  return {
    name: path.split('/').pop() ?? path,
    path,
    type: 'notebook',
    writable,
    created: stamp,
    last_modified: stamp,
    mimetype: NOTEBOOK_MIME,
    content: null,
    format: 'json'
  }
}

function directoryModel(path: string, content: Contents.IModel[] | null, now: Date): Contents.IModel {
  const stamp = now.toISOString()
  return {
    name: path.split('/').pop() ?? path,
    path,
    type: 'directory',
    writable: false,
    created: stamp,
    last_modified: stamp,
    mimetype: '',
    content,
    format: content === null ? null : 'json'
  }
}

/** The folder at `dir` ('' is the room's root): its notebooks and subfolders, sorted, or
 * null when no notebook lives under it. Broken notebooks (`error`) are left out. */
export function listDirectory(
  entries: NotebookEntry[],
  dir: string,
  writable: boolean,
  now: Date = new Date()
): Contents.IModel | null {
  const prefix = dir === '' ? '' : `${dir}/`
  const files = new Map<string, Contents.IModel>()
  const folders = new Map<string, Contents.IModel>()
  let found = dir === ''
  for (const entry of entries) {
    if (entry.error !== undefined || !entry.path.startsWith(prefix)) continue
    found = true
    const rest = entry.path.slice(prefix.length)
    const slash = rest.indexOf('/')
    if (slash === -1) files.set(entry.path, notebookModel(entry.path, writable, now))
    else {
      const folder = prefix + rest.slice(0, slash)
      folders.set(folder, directoryModel(folder, null, now))
    }
  }
  if (!found) return null
  const byName = (a: Contents.IModel, b: Contents.IModel): number => a.name.localeCompare(b.name)
  return directoryModel(dir, [...[...folders.values()].sort(byName), ...[...files.values()].sort(byName)], now)
}
