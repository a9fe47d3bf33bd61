import type { YCodeCell, YNotebook } from '@jupyter/ydoc'
import { afterEach, describe, expect, it } from 'vitest'

import { clearOutputs, insertCell } from '../src/notebook/actions'
import { forgetWhenRewritten } from '../src/notebook/clearedOutputs'
import { disposePairs, pair } from './syncedNotebooks'

/** The kernel service's writes: in the document, not this person's (their UndoManager ignores them). */
const KERNEL = 'kernel'

const PRINTED = (text: string) => ({ output_type: 'stream', name: 'stdout', text })

/** A code cell at `index` that has run: what the kernel service writes (not this person's). */
function ranCell(nb: YNotebook, index: number, count: number, text = '1\n'): YCodeCell {
  insertCell(nb, index, 'code', `print(${count})`)
  const cell = nb.getCell(index) as YCodeCell
  nb.ydoc.transact(() => {
    cell.setOutputs([PRINTED(text)])
    cell.setExecutionCount(count)
  }, KERNEL)
  return cell
}

/** Two cells that ran, printing `first` and `second`, then cleared by `a`: one undo step of
 * its own, the only one on `a`'s stack. */
function ranAndCleared(first: string, second: string): [YNotebook, YNotebook] {
  const [a, b] = pair()
  ranCell(a, 0, 1, first)
  ranCell(a, 1, 2, second)
  a.undoManager.clear()
  forgetWhenRewritten(a, a.undoManager, clearOutputs(a, 0, 1))
  a.undoManager.stopCapturing()
  return [a, b]
}

afterEach(() => {
  disposePairs()
})

describe('clearOutputs', () => {
  it("clears the range's code cells in one transaction, seen by the partner", () => {
    const [a, b] = pair()
    ranCell(a, 0, 1)
    insertCell(a, 1, 'markdown', '# notes')
    ranCell(a, 2, 2)
    ranCell(a, 3, 3)
    let changes = 0
    b.ydoc.on('update', () => changes++)
    expect(clearOutputs(a, 0, 2)).toEqual([a.getCell(0).id, a.getCell(2).id])
    expect(changes).toBe(1)
    const shown = b.cells.map((cell) => (cell.cell_type === 'code' ? [(cell as YCodeCell).outputs.length, (cell as YCodeCell).execution_count] : null))
    expect(shown).toEqual([[0, null], null, [0, null], [1, 3]])
    expect(clearOutputs(a, 0, 2)).toEqual([]) // nothing left to clear: no edit
    expect(changes).toBe(1)
  })

  it('is one undo step of its clearer, which brings the outputs back', () => {
    const [a, b] = ranAndCleared('one\n', 'two\n')
    expect(b.undoManager.canUndo()).toBe(false)
    a.ydoc.transact(() => a.getCell(0).ysource.insert(0, '# '), KERNEL) // not its outputs: the step stays
    a.undoManager.undo()
    expect(b.cells.map((cell) => (cell as YCodeCell).toJSON())).toMatchObject([
      { outputs: [PRINTED('one\n')], execution_count: 1 },
      { outputs: [PRINTED('two\n')], execution_count: 2 }
    ])
  })

  it('undone after the cell ran again, brings back no stale output', () => {
    const [a, b] = ranAndCleared('old\n', 'kept\n')
    expect(a.undoManager.undoStack).toHaveLength(1)
    const cell = b.getCell(0) as YCodeCell
    b.ydoc.transact(() => {
      cell.setOutputs([PRINTED('new\n')])
      cell.setExecutionCount(3)
    }, KERNEL)
    expect(a.undoManager.undoStack).toHaveLength(0) // the clear is forgotten: nothing to undo
    a.undoManager.undo()
    expect(a.cells.map((each) => each.toJSON())).toMatchObject([
      { outputs: [PRINTED('new\n')], execution_count: 3 },
      { outputs: [], execution_count: null }
    ])
  })
})
