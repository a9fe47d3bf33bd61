/** Clear Outputs, undone: the outputs come back, unless their cells have run since. A Yjs
 * undo re-inserts what it deleted wherever it was, so undoing a clear after a new run would
 * put the old outputs beside the new ones (and leave the new count): once the kernel (or a
 * partner) writes into a cleared cell's outputs or count, the clear leaves the undo stack. */

import type { YNotebook } from '@jupyter/ydoc'
import * as Y from 'yjs'

/** Forgets the clear that is the last step of `undoManager`'s stack once a write that is
 * not this person's reaches one of the `cleared` cells' outputs or counts. */
export function forgetWhenRewritten(nb: YNotebook, undoManager: Y.UndoManager, cleared: readonly string[]): void {
  const step = undoManager.undoStack[undoManager.undoStack.length - 1]
  if (step === undefined || cleared.length === 0) return
  const ids = new Set(cleared)
  const doc = nb.ydoc
  const watch = (transaction: Y.Transaction): void => {
    if (!undoManager.undoStack.includes(step)) {
      doc.off('afterTransaction', watch) // undone (a redo is a step of its own) or dropped
      return
    }
    if (transaction.origin === undoManager || undoManager.trackedOrigins.has(transaction.origin)) return
    if (!rewrites(transaction, ids)) return
    undoManager.undoStack.splice(undoManager.undoStack.indexOf(step), 1)
    doc.off('afterTransaction', watch)
  }
  doc.on('afterTransaction', watch)
}

/** Whether the transaction changed the outputs or the count of one of the cells. */
function rewrites(transaction: Y.Transaction, ids: ReadonlySet<string>): boolean {
  for (const [type, keys] of transaction.changed) {
    if (type instanceof Y.Map && keys.has('execution_count') && ids.has(String(type.get('id')))) return true
    const ycell = type.parent
    if (type instanceof Y.Array && ycell instanceof Y.Map && ycell.get('outputs') === type && ids.has(String(ycell.get('id')))) return true
  }
  return false
}
