/** Two people's notebooks for the tests, kept in sync the way the provider does. */

import { YNotebook } from '@jupyter/ydoc'
import * as Y from 'yjs'

/** The provider's origin: what arrives from a partner (no one's UndoManager tracks it). */
export const REMOTE = 'remote'

const open: YNotebook[] = []

/** Two people's notebooks, each one's updates applied to the other (origin: remote). */
export function pair(): [YNotebook, YNotebook] {
  const a = new YNotebook()
  const b = new YNotebook()
  open.push(a, b)
  a.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) Y.applyUpdate(b.ydoc, update, REMOTE)
  })
  b.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) Y.applyUpdate(a.ydoc, update, REMOTE)
  })
  return [a, b]
}

/** Disposes of the notebooks `pair` made (after each test). */
export function disposePairs(): void {
  for (const nb of open.splice(0)) nb.dispose()
}
