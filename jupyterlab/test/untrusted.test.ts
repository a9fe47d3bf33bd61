import { YNotebook } from '@jupyter/ydoc'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'

import { neverTrusted } from '../src/untrusted'

/** A peer's document with one cell whose metadata says `trusted` (as any editor may write). */
function peerUpdate(id: string): Uint8Array {
  const peer = new YNotebook()
  peer.insertCell(0, { cell_type: 'code', id, source: '1', metadata: { trusted: true, tags: ['x'] } })
  return Y.encodeStateAsUpdate(peer.ydoc)
}

describe('neverTrusted', () => {
  it('hides trusted from every cell the room brings, and from no other key', () => {
    const notebook = new YNotebook()
    neverTrusted(notebook)
    const seen: unknown[] = []
    // JupyterLab's notebook model connects after the drive: it reads trust from the change.
    notebook.changed.connect((_nb, change) => {
      for (const delta of change.cellsChange ?? []) {
        delta.insert?.forEach((cell) => seen.push(cell.getMetadata('trusted')))
      }
    })
    Y.applyUpdate(notebook.ydoc, peerUpdate('a'))
    expect(seen).toEqual([undefined])
    expect(notebook.cells[0].getMetadata('trusted')).toBeUndefined()
    expect(notebook.cells[0].getMetadata('tags')).toEqual(['x'])
    Y.applyUpdate(notebook.ydoc, peerUpdate('b'))
    expect(notebook.cells.map((cell) => cell.getMetadata('trusted'))).toEqual([undefined, undefined])
  })

  it('also hides it for the cells a notebook already holds', () => {
    const notebook = new YNotebook()
    Y.applyUpdate(notebook.ydoc, peerUpdate('c'))
    expect(notebook.cells[0].getMetadata('trusted')).toBe(true)
    neverTrusted(notebook)
    expect(notebook.cells[0].getMetadata('trusted')).toBeUndefined()
  })
})
