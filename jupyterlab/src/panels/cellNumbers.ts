/** Each cell's place in the notebook, in its input prompt above JupyterLab's `[n]:`, as the
 * browser client shows it in the cell's margin (client/src/notebook/cellNumbers.ts): the
 * "cell 3" that the kernel-state sidebar and the browser's messages name. Counted from 1,
 * markdown and raw cells included; renumbered when cells are added, deleted or moved. */

import type { Cell } from '@jupyterlab/cells'
import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'

import { numberTitle } from '../../../client/src/notebook/cellNumbers'
import { CellWalker } from './cellWalker'

/** The prompt's attribute holding the number, which panels.css draws: JupyterLab rewrites the
 * prompt's text at every run, so the number cannot be a child of it. */
export const NUMBER_ATTRIBUTE = 'data-pb-cell-number'

export class CellNumbers implements IDisposable {
  private readonly walker: CellWalker

  constructor(panel: NotebookPanel) {
    this.walker = new CellWalker(panel, promptOf, () => this.render(), eraseNumber)
    this.render()
  }

  get isDisposed(): boolean {
    return this.walker.isDisposed
  }

  dispose(): void {
    this.walker.dispose()
  }

  private render(): void {
    this.walker.walk((_cell, prompt, index) => {
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

function eraseNumber(cell: Cell): void {
  const prompt = promptOf(cell)
  prompt?.removeAttribute(NUMBER_ATTRIBUTE)
  prompt?.removeAttribute('title')
}
