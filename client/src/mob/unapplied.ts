/** What of my own typing the room's document does not hold: after the server refused my
 * edits (in mob mode they arrived after my turn had ended), the text I inserted past the
 * clock the server says it holds of my Yjs client (the `mob-taken` command). */

import * as Y from 'yjs'

export interface Unapplied {
  /** The text I typed that the room lacks and that is still in my copy, in typing order. */
  text: string
  /** The cell it was typed in last (null: none, or not a cell's source). */
  cellId: string | null
}

export function unappliedText(doc: Y.Doc, taken: number): Unapplied {
  const structs = doc.store.clients.get(doc.clientID) ?? []
  let text = ''
  let cellId: string | null = null
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || struct.deleted || struct.id.clock + struct.length <= taken) continue
    if (!(struct.content instanceof Y.ContentString)) continue
    const from = Math.max(0, taken - struct.id.clock)
    text += struct.content.str.slice(from)
    const parent = struct.parent
    const cell = parent instanceof Y.Text ? parent.parent : null
    if (cell instanceof Y.Map && typeof cell.get('id') === 'string') cellId = cell.get('id') as string
  }
  return { text, cellId }
}
