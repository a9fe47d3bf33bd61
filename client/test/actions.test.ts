import { type YCodeCell, YNotebook } from '@jupyter/ydoc'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'

import { changeCellType, deleteCell, indexOfCell, insertCell, moveCell } from '../src/notebook/actions'

const REMOTE = 'remote'
const open: YNotebook[] = []

/** Two people's notebooks, kept in sync the way the provider does (origin: remote). */
function pair(): [YNotebook, YNotebook] {
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

/** Typing as an editor does: under an origin that person's UndoManager tracks. */
function typer(nb: YNotebook): (index: number, at: number, text: string) => void {
  const origin = { editor: true }
  nb.undoManager.addTrackedOrigin(origin)
  return (index, at, text) => {
    nb.ydoc.transact(() => nb.getCell(index)!.ysource.insert(at, text), origin)
  }
}

const sources = (nb: YNotebook): string[] => nb.cells.map((cell) => cell.getSource())

afterEach(() => {
  for (const nb of open.splice(0)) nb.dispose()
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
    insertCell(a, 0, 'code', 'print(1)')
    insertCell(a, 1, 'code', 'two')
    const cell = a.getCell(0) as YCodeCell
    cell.setOutputs([{ output_type: 'stream', name: 'stdout', text: '1\n' }])
    cell.setExecutionCount(3)
    const id = cell.id
    moveCell(a, 0, 1)
    const moved = b.getCell(1) as YCodeCell
    expect(moved.id).toBe(id)
    expect(moved.toJSON()).toMatchObject({ source: 'print(1)', execution_count: 3, outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }] })
    expect(moved.youtputs.get(0).get('text')).toBeInstanceOf(Y.Text)
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
