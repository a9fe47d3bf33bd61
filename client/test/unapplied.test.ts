import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { unappliedText } from '../src/mob/unapplied'

function cellDoc(): { doc: Y.Doc; source: Y.Text } {
  const doc = new Y.Doc()
  const cell = new Y.Map<unknown>()
  doc.getArray('cells').push([cell])
  cell.set('id', 'c1')
  const source = new Y.Text()
  cell.set('source', source)
  return { doc, source }
}

describe('unappliedText', () => {
  it('is what I typed past the clock the room holds of my client, still in my copy', () => {
    const { doc, source } = cellDoc()
    source.insert(0, 'print(1)')
    const taken = Y.getState(doc.store, doc.clientID)
    source.insert(8, '\nlate words')
    source.delete(8 + 6, 5) // "words" typed and taken back
    source.insert(source.length, 'x')
    expect(unappliedText(doc, taken)).toEqual({ text: '\nlate x', cellId: 'c1' })
    expect(unappliedText(doc, Y.getState(doc.store, doc.clientID))).toEqual({ text: '', cellId: null })
  })

  it('takes the part of a merged struct past the clock', () => {
    const { doc, source } = cellDoc()
    source.insert(0, 'abc')
    const taken = Y.getState(doc.store, doc.clientID) - 1 // the room holds "ab" of the struct "abc"
    expect(unappliedText(doc, taken).text).toBe('c')
  })
})
