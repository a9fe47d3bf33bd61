import type { YCodeCell, YNotebook } from '@jupyter/ydoc'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'

import {
  changeCellType,
  copyCells,
  deleteCell,
  deleteCells,
  indexOfCell,
  insertCell,
  mergeCells,
  moveCell,
  moveCells,
  pasteCells,
  setHeading,
  splitCell,
  splitOffsets
} from '../src/notebook/actions'
import { disposePairs, pair } from './syncedNotebooks'

/** Typing as an editor does: under an origin that person's UndoManager tracks. */
function typer(nb: YNotebook): (index: number, at: number, text: string) => void {
  const origin = { editor: true }
  nb.undoManager.addTrackedOrigin(origin)
  return (index, at, text) => {
    nb.ydoc.transact(() => nb.getCell(index)!.ysource.insert(at, text), origin)
  }
}

const sources = (nb: YNotebook): string[] => nb.cells.map((cell) => cell.getSource())

/** What `print(1)` prints. */
const PRINTED_1 = { output_type: 'stream', name: 'stdout', text: '1\n' }

/** A code cell inserted at `index` that has run: it printed 1, and holds its execution count. */
function insertRanCell(nb: YNotebook, index: number, source: string, count: number): YCodeCell {
  insertCell(nb, index, 'code', source)
  const cell = nb.getCell(index) as YCodeCell
  cell.setOutputs([PRINTED_1])
  cell.setExecutionCount(count)
  return cell
}

afterEach(() => {
  disposePairs()
})

describe('notebook actions', () => {
  it('insert, move, retype and delete cells, seen by the partner', () => {
    const [a, b] = pair()
    insertCell(a, 0, 'code', 'one')
    insertCell(a, 1, 'markdown', '# two')
    insertCell(a, 2, 'code', 'three')
    expect(sources(b)).toEqual(['one', '# two', 'three'])
    const id = a.getCell(2)!.id
    expect(moveCell(a, 2, 0)).toBe(0)
    expect(sources(b)).toEqual(['three', 'one', '# two'])
    expect(indexOfCell(b, id)).toBe(0)
    expect(moveCell(a, 0, -5)).toBe(0) // already first: nothing to do
    changeCellType(a, 1, 'markdown')
    expect(b.getCell(1)!.cell_type).toBe('markdown')
    expect(b.getCell(1)!.getSource()).toBe('one')
    changeCellType(a, 2, 'code')
    expect(b.getCell(2)!.toJSON()).toMatchObject({ cell_type: 'code', source: '# two', outputs: [], execution_count: null })
    deleteCell(a, 0)
    deleteCell(a, 7) // out of range: ignored
    expect(sources(b)).toEqual(['one', '# two'])
  })

  it('keeps the cell id when the type changes', () => {
    const [a] = pair()
    insertCell(a, 0, 'code', 'x = 1')
    const id = a.getCell(0)!.id
    changeCellType(a, 0, 'raw')
    expect(a.getCell(0)!.id).toBe(id)
    expect(a.getCell(0)!.cell_type).toBe('raw')
  })

  it("keeps a markdown or raw cell's attachments between those types, as JupyterLab does", () => {
    const [a, b] = pair()
    const attachments = { 'dot.png': { 'image/png': 'AA==' } }
    pasteCells(a, 0, [{ cell_type: 'markdown', source: '![](attachment:dot.png)', metadata: {}, attachments }])
    changeCellType(a, 0, 'raw')
    expect(b.getCell(0)!.toJSON()).toMatchObject({ cell_type: 'raw', attachments })
    changeCellType(a, 0, 'markdown')
    expect(b.getCell(0)!.toJSON()).toMatchObject({ cell_type: 'markdown', attachments })
    changeCellType(a, 0, 'code') // a code cell has none
    expect(b.getCell(0)!.toJSON()).not.toHaveProperty('attachments')
  })
})

describe('new cells', () => {
  it('are built without reading a Yjs type before it is in the document (no "Invalid access")', () => {
    const warn = vi.spyOn(console, 'warn')
    try {
      const [a, b] = pair()
      insertCell(a, 0, 'code', 'x = 1')
      insertCell(a, 1, 'markdown', '# notes')
      moveCell(a, 0, 1)
      changeCellType(a, 0, 'raw')
      expect(sources(b)).toEqual(['# notes', 'x = 1'])
      expect(warn.mock.calls.map((call) => call.join(' '))).toEqual([])
    } finally {
      warn.mockRestore()
    }
  })

  it('moves a cell with its outputs and count, under its id', () => {
    const [a, b] = pair()
    const cell = insertRanCell(a, 0, 'print(1)', 3)
    insertCell(a, 1, 'code', 'two')
    const id = cell.id
    moveCell(a, 0, 1)
    const moved = b.getCell(1) as YCodeCell
    expect(moved.id).toBe(id)
    expect(moved.toJSON()).toMatchObject({ source: 'print(1)', execution_count: 3, outputs: [PRINTED_1] })
    expect(moved.youtputs.get(0).get('text')).toBeInstanceOf(Y.Text)
  })
})

describe('moving a block of cells', () => {
  it('moves the selected cells together, under their ids, in one change the partner sees', () => {
    const [a, b] = pair()
    for (const [index, source] of ['one', 'two', 'three', 'four', 'five'].entries()) insertCell(a, index, 'code', source)
    const ids = a.cells.map((cell) => cell.id)
    const changes: number[] = []
    b.changed.connect((_, change) => {
      if (change.cellsChange !== undefined) changes.push(1)
    })
    expect(moveCells(a, 1, 2, 0)).toBe(0)
    expect(sources(b)).toEqual(['two', 'three', 'one', 'four', 'five'])
    expect(b.cells.map((cell) => cell.id)).toEqual([ids[1], ids[2], ids[0], ids[3], ids[4]])
    expect(changes).toEqual([1]) // one transaction: one change for the partner, one undo step
    expect(moveCells(a, 0, 1, 2)).toBe(2)
    expect(sources(b)).toEqual(['one', 'four', 'two', 'three', 'five'])
    // Past the end the block stops there, whole; at the end already, nothing happens.
    expect(moveCells(a, 2, 3, 9)).toBe(3)
    expect(sources(b)).toEqual(['one', 'four', 'five', 'two', 'three'])
    expect(moveCells(a, 3, 4, 4)).toBe(3)
    expect(moveCells(a, 0, 1, -1)).toBe(0)
    expect(moveCells(a, 3, 7, 1)).toBe(3) // not a run of cells of this notebook: ignored
    expect(sources(b)).toEqual(['one', 'four', 'five', 'two', 'three'])
  })

  it('is undone in one step, by its mover only', () => {
    const [a, b] = pair()
    for (const [index, source] of ['one', 'two', 'three'].entries()) insertCell(a, index, 'code', source)
    a.undoManager.stopCapturing()
    moveCells(a, 1, 2, 0)
    a.undoManager.stopCapturing()
    expect(b.undoManager.canUndo()).toBe(false)
    a.undoManager.undo()
    expect(sources(b)).toEqual(['one', 'two', 'three'])
  })
})

describe('headings (JupyterLab keys 1 to 6)', () => {
  it("make the cell markdown with that many #s in place of its old ones, under its id", () => {
    const [a, b] = pair()
    insertCell(a, 0, 'code', 'x = 1')
    insertCell(a, 1, 'markdown', '### Results')
    insertCell(a, 2, 'markdown', '  \n Notes')
    const id = a.getCell(0)!.id
    setHeading(a, 0, 2)
    setHeading(a, 1, 1)
    setHeading(a, 2, 6)
    expect(sources(b)).toEqual(['## x = 1', '# Results', '###### Notes'])
    expect(b.cells.map((cell) => cell.cell_type)).toEqual(['markdown', 'markdown', 'markdown'])
    expect(b.getCell(0)!.id).toBe(id)
    setHeading(a, 1, 1) // already so: nothing changes
    expect(sources(b)[1]).toBe('# Results')
  })

  it("edit a markdown cell's text in place (a partner's typing merges), undone in one step", () => {
    const [a, b] = pair()
    insertCell(a, 0, 'markdown', '## Title')
    const ysource = b.getCell(0)!.ysource
    a.undoManager.stopCapturing()
    setHeading(a, 0, 3)
    expect(b.getCell(0)!.ysource).toBe(ysource)
    typer(b)(0, ysource.length, '!')
    expect(sources(a)).toEqual(['### Title!'])
    a.undoManager.undo()
    expect(sources(b)).toEqual(['## Title!'])
  })
})

describe('per-user undo', () => {
  it("undoes my typing and never my partner's, in the same cell", () => {
    const [a, b] = pair()
    insertCell(a, 0, 'code', 'x = 1')
    a.undoManager.clear()
    const typeA = typer(a)
    const typeB = typer(b)
    typeA(0, 5, ' # ada')
    a.undoManager.stopCapturing()
    typeB(0, 0, '# bob\n')
    expect(a.getCell(0)!.getSource()).toBe('# bob\nx = 1 # ada')
    a.undoManager.undo()
    expect(sources(a)).toEqual(['# bob\nx = 1'])
    expect(sources(b)).toEqual(['# bob\nx = 1'])
    a.undoManager.redo()
    expect(sources(b)).toEqual(['# bob\nx = 1 # ada'])
  })

  it("undoes my new cell but keeps what my partner typed meanwhile", () => {
    const [a, b] = pair()
    insertCell(a, 0, 'code', 'shared')
    a.undoManager.clear()
    a.undoManager.stopCapturing()
    insertCell(a, 1, 'code', 'mine')
    a.undoManager.stopCapturing()
    typer(b)(0, 6, ' + theirs')
    expect(a.undoManager.undoStack.length).toBe(1)
    a.undoManager.undo()
    expect(sources(b)).toEqual(['shared + theirs'])
    expect(b.undoManager.undoStack.length).toBe(1) // Bob's own typing, his to undo
  })
})

describe('copy, paste, merge and split', () => {
  it('pastes copied cells with their type, metadata, outputs and count under new ids, seen by the partner', () => {
    const [a, b] = pair()
    const code = insertRanCell(a, 0, 'print(1)', 4)
    insertCell(a, 1, 'markdown', '# notes')
    code.setMetadata({ tags: ['keep'] })
    const copied = copyCells(a, 0, 1)
    expect(copied.map((cell) => cell.id)).toEqual([undefined, undefined])
    pasteCells(a, 2, copied)
    pasteCells(a, 0, copied) // twice: two more cells, not the same ones
    expect(sources(b)).toEqual(['print(1)', '# notes', 'print(1)', '# notes', 'print(1)', '# notes'])
    const pasted = b.getCell(4) as YCodeCell
    expect(pasted.toJSON()).toMatchObject({
      cell_type: 'code',
      metadata: { tags: ['keep'] },
      execution_count: 4,
      outputs: [PRINTED_1]
    })
    expect(pasted.youtputs.get(0).get('text')).toBeInstanceOf(Y.Text)
    expect(b.getCell(1)!.cell_type).toBe('markdown')
    expect(new Set(b.cells.map((cell) => cell.id)).size).toBe(6)
    // The copy is a snapshot: changing the cell afterwards does not change it.
    code.setMetadata({ tags: ['changed'] })
    expect(copied[0]!.metadata).toEqual({ tags: ['keep'] })
  })

  it('cuts a range in one undoable step of its own', () => {
    const [a, b] = pair()
    for (const [i, text] of ['one', 'two', 'three', 'four'].entries()) insertCell(a, i, 'code', text)
    a.undoManager.clear()
    a.undoManager.stopCapturing()
    deleteCells(a, 1, 2)
    expect(sources(b)).toEqual(['one', 'four'])
    a.undoManager.undo()
    expect(sources(b)).toEqual(['one', 'two', 'three', 'four'])
  })

  it("merges cells into the primary's type and id, sources joined by a blank line, without outputs", () => {
    const [a, b] = pair()
    insertCell(a, 0, 'markdown', '# title')
    insertCell(a, 1, 'code', 'x = 1')
    const primary = insertRanCell(a, 2, 'print(x)', 2)
    insertCell(a, 3, 'raw', 'after')
    const id = primary.id
    mergeCells(a, 0, 2, 2)
    expect(sources(b)).toEqual(['# title\n\nx = 1\n\nprint(x)', 'after'])
    expect(b.getCell(0)!.toJSON()).toMatchObject({ id, cell_type: 'code', outputs: [], execution_count: null })
    mergeCells(a, 0, 0, 0) // one cell: nothing to merge
    mergeCells(a, 1, 2, 1) // past the end: ignored
    expect(sources(b)).toEqual(['# title\n\nx = 1\n\nprint(x)', 'after'])
  })

  it('cuts the source at each cursor and around each selection, as JupyterLab', () => {
    expect(splitOffsets(10, [{ from: 4, to: 4 }])).toEqual([0, 4, 10])
    expect(splitOffsets(10, [{ from: 6, to: 2 }])).toEqual([0, 2, 6, 10])
    expect(splitOffsets(10, [{ from: 3, to: 3 }, { from: 8, to: 8 }])).toEqual([0, 3, 8, 10])
  })

  it('splits a cell at the cursor; the outputs and the id stay with the last piece', () => {
    const [a, b] = pair()
    insertCell(a, 0, 'code', 'x = 1\n\ny = 2\n')
    const cell = a.getCell(0) as YCodeCell
    cell.setOutputs([{ output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 1 }])
    const id = cell.id
    expect(splitCell(a, 0, [{ from: 6, to: 6 }])).toBe(1)
    expect(sources(b)).toEqual(['x = 1', 'y = 2'])
    expect(b.getCell(1)!.id).toBe(id)
    expect((b.getCell(0) as YCodeCell).toJSON().outputs).toEqual([])
    expect((b.getCell(1) as YCodeCell).toJSON().outputs).toHaveLength(1)
    expect(b.getCell(0)!.id).not.toBe(id)
  })

  it('splits around a selection and selects the selected piece', () => {
    const [a, b] = pair()
    insertCell(a, 0, 'markdown', 'before middle after')
    expect(splitCell(a, 0, [{ from: 7, to: 13 }])).toBe(1)
    expect(sources(b)).toEqual(['before ', 'middle', ' after'])
    expect(b.cells.map((cell) => cell.cell_type)).toEqual(['markdown', 'markdown', 'markdown'])
  })
})
