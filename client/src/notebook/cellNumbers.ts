/** Each cell's place in the notebook, in its margin: the "cell 3" that the kernel panel
 * ("stopped at cell 3"), the kernel state ("Defined in cell 3"), the people list ("editing
 * cell 3") and the check report name is the third cell here: counted from 1, markdown and raw
 * cells included. Small, muted and unbracketed, so it is not read as the execution count [n]. */

import { h } from '../dom'

export interface NumberedCell {
  readonly element: HTMLElement
  /** Sets the accessible name ("Code cell 3"): the number below is only its visible twin. */
  setPosition(index: number): void
}

/** Numbers the cells in notebook order; call after any insert, delete or move. */
export function numberCells(cells: readonly NumberedCell[]): void {
  cells.forEach((cell, index) => {
    cell.setPosition(index)
    showNumber(cell.element, index + 1)
  })
}

function showNumber(cell: HTMLElement, position: number): void {
  const gutter = cell.querySelector(':scope > .cell-gutter')
  if (gutter === null) return
  let label = gutter.querySelector<HTMLElement>(':scope > .cell-number')
  if (label === null) {
    // Hidden from assistive technology: the cell's own name already says "Code cell 3".
    label = h('span', { class: 'cell-number', 'aria-hidden': 'true' })
    gutter.prepend(label)
  }
  const text = String(position)
  if (label.textContent === text) return
  label.textContent = text
  label.title = numberTitle(position)
}

/** What a cell's number is, on hover (the JupyterLab extension's numbers say the same). */
export function numberTitle(position: number): string {
  return `Cell ${position}: its place in the notebook, as messages name it`
}
