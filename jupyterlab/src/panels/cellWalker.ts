/** A cell walker draws a widget's mark into the cells of a JupyterLab notebook (the run badges
 * in their footers, the cell numbers in their prompts): at most once an animation frame, again
 * when cells are added, deleted or moved, and for a cell JupyterLab has not drawn yet (a
 * windowed notebook draws cells as they scroll in) once it is drawn; disposed, it erases the
 * mark from every cell. */

import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'

export class CellWalker implements IDisposable {
  private frame = 0
  private disposed = false
  /** Cells whose place was missing at a walk: each is walked again once JupyterLab draws it. */
  private readonly waiting = new WeakSet<Cell>()

  /** `place` finds the element of a cell to draw into (null until JupyterLab has drawn it);
   * `render` is the owner's drawing, which calls `walk`, run on the frame `schedule` asks for;
   * `erase` takes the owner's mark out of a cell. */
  constructor(
    private readonly panel: NotebookPanel,
    private readonly place: (cell: Cell) => HTMLElement | null,
    private readonly render: () => void,
    private readonly erase: (cell: Cell) => void
  ) {
    panel.content.model?.cells.changed.connect(this.schedule, this)
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  /** Stops the redrawing and erases the mark from every cell. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.panel.content.model?.cells.changed.disconnect(this.schedule, this)
    cancelAnimationFrame(this.frame)
    for (const cell of this.panel.content.widgets) this.erase(cell)
  }

  /** Ask for a render on the next animation frame (several asks, one render). */
  readonly schedule = (): void => {
    if (this.frame === 0 && !this.disposed) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0
        this.render()
      })
    }
  }

  /** `draw` for each cell whose place is drawn, with that place and the cell's index. */
  walk(draw: (cell: Cell, place: HTMLElement, index: number) => void): void {
    this.panel.content.widgets.forEach((cell, index) => {
      const place = this.place(cell)
      if (place !== null) {
        draw(cell, place, index)
      } else if (!this.waiting.has(cell)) {
        this.waiting.add(cell)
        void cell.ready.then(this.schedule)
      }
    })
  }
}
