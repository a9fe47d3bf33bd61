/** Each cell's place in the notebook, in its input prompt above JupyterLab's `[n]:`, as the
 * browser client shows it in the cell's margin (client/src/notebook/cellNumbers.ts): the
 * "cell 3" that the kernel-state sidebar and the browser's messages name. Counted from 1,
 * markdown and raw cells included; renumbered when cells are added, deleted or moved. */

import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'

import { numberTitle } from '../../../client/src/notebook/cellNumbers'

/** The prompt's attribute holding the number, which panels.css draws: JupyterLab rewrites the
 * prompt's text at every run, so the number cannot be a child of it. */
export const NUMBER_ATTRIBUTE = 'data-pb-cell-number'

export class CellNumbers implements IDisposable {
  private frame = 0
  private disposed = false
  /** Cells JupyterLab has not drawn yet (a windowed notebook draws them as they scroll in). */
  private readonly waiting = new WeakSet<Cell>()

  constructor(private readonly panel: NotebookPanel) {
    panel.content.model?.cells.changed.connect(this.schedule, this)
    this.render()
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.panel.content.model?.cells.changed.disconnect(this.schedule, this)
    cancelAnimationFrame(this.frame)
    for (const cell of this.panel.content.widgets) {
      const prompt = promptOf(cell)
      prompt?.removeAttribute(NUMBER_ATTRIBUTE)
      prompt?.removeAttribute('title')
    }
  }

  private readonly schedule = (): void => {
    if (this.frame === 0 && !this.disposed) this.frame = requestAnimationFrame(() => this.render())
  }

  private render(): void {
    this.frame = 0
    this.panel.content.widgets.forEach((cell, index) => {
      const prompt = promptOf(cell)
      if (prompt === null) {
        if (!this.waiting.has(cell)) {
          this.waiting.add(cell)
          void cell.ready.then(this.schedule)
        }
        return
      }
      const text = String(index + 1)
      if (prompt.getAttribute(NUMBER_ATTRIBUTE) === text) return
      prompt.setAttribute(NUMBER_ATTRIBUTE, text)
      prompt.title = numberTitle(index + 1)
    })
  }
}

function promptOf(cell: Cell): HTMLElement | null {
  return cell.node.querySelector<HTMLElement>('.jp-InputPrompt')
}
