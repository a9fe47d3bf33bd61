import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import { Signal } from '@lumino/signaling'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { CellWalker } from '../../src/panels/cellWalker'

/** A cell as the walker sees it: its place (null until drawn) and its `ready` promise. */
interface FakeCell {
  place: HTMLElement | null
  ready: Promise<void>
  draw(): void
}

function fakeCell(drawn: boolean): FakeCell {
  let resolve = (): void => {}
  const cell: FakeCell = {
    place: drawn ? ({} as HTMLElement) : null,
    ready: new Promise<void>((r) => (resolve = r)),
    draw: () => {
      cell.place = {} as HTMLElement
      resolve()
    },
  }
  if (drawn) resolve()
  return cell
}

/** A notebook panel holding these cells, with the cell list's `changed` signal. */
function fakePanel(cells: FakeCell[]): { panel: NotebookPanel; changed: Signal<object, unknown> } {
  const changed = new Signal<object, unknown>({})
  const panel = { content: { widgets: cells, model: { cells: { changed } } } }
  return { panel: panel as unknown as NotebookPanel, changed }
}

let frames: Map<number, FrameRequestCallback>
let nextFrame: number

/** Run the animation frames asked for so far. */
function runFrames(): void {
  const due = [...frames.values()]
  frames.clear()
  for (const callback of due) callback(0)
}

beforeEach(() => {
  frames = new Map()
  nextFrame = 1
  vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => {
    frames.set(nextFrame, callback)
    return nextFrame++
  })
  vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.delete(id))
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('a cell walker', () => {
  it('draws into each drawn cell, with its index, and into a cell JupyterLab draws later', async () => {
    const cells = [fakeCell(true), fakeCell(false), fakeCell(true)]
    const { panel } = fakePanel(cells)
    const drawn: number[] = []
    const walker = new CellWalker(panel, (cell) => (cell as unknown as FakeCell).place, () => walker.walk((_c, _p, index) => drawn.push(index)), () => {})
    walker.walk((_c, _p, index) => drawn.push(index))
    expect(drawn).toEqual([0, 2])
    cells[1].draw()
    await cells[1].ready
    expect(frames.size).toBe(1)
    drawn.length = 0
    runFrames()
    expect(drawn).toEqual([0, 1, 2])
  })

  it('asks once for a cell that stays undrawn over several walks', async () => {
    const cells = [fakeCell(false)]
    const { panel } = fakePanel(cells)
    let renders = 0
    const walker = new CellWalker(panel, (cell) => (cell as unknown as FakeCell).place, () => renders++, () => {})
    const ready = vi.spyOn(cells[0].ready, 'then')
    walker.walk(() => {})
    walker.walk(() => {})
    expect(ready).toHaveBeenCalledTimes(1)
    expect(renders).toBe(0)
  })

  it('renders once a frame however often it is asked, and when the cells change', () => {
    const { panel, changed } = fakePanel([fakeCell(true)])
    let renders = 0
    const walker = new CellWalker(panel, () => null, () => renders++, () => {})
    walker.schedule()
    walker.schedule()
    changed.emit(undefined)
    runFrames()
    expect(renders).toBe(1)
    changed.emit(undefined)
    runFrames()
    expect(renders).toBe(2)
  })

  it('erases its mark from every cell once disposed, and renders no more', () => {
    const cells = [fakeCell(true), fakeCell(false)]
    const { panel, changed } = fakePanel(cells)
    let renders = 0
    const erased: unknown[] = []
    const walker = new CellWalker(panel, () => null, () => renders++, (cell) => erased.push(cell))
    walker.schedule()
    walker.dispose()
    walker.dispose()
    expect(walker.isDisposed).toBe(true)
    expect(erased).toEqual(cells)
    expect(frames.size).toBe(0)
    changed.emit(undefined)
    walker.schedule()
    runFrames()
    expect(renders).toBe(0)
  })
})
