/** Outputs a person hid (O in command mode, the classic Notebook's "toggle output"; JupyterLab
 * 4 has it as View > Collapse Selected Outputs, with no key): their view of the notebook, like
 * a collapsed heading, kept in this page and never in the shared document (JupyterLab writes
 * `outputs_hidden` into the cell's metadata, which would hide a partner's outputs too). */

import { button, keepFocusOnPress } from '../dom'

/** A cell as the hidden outputs need it. */
export interface OutputCell {
  readonly id: string
  readonly type: string
  readonly element: HTMLElement
}

/** Whether `ids` should be hidden by a toggle: unless every one of them is hidden already. */
export function hidesOutputs(hidden: ReadonlySet<string>, ids: readonly string[]): boolean {
  return ids.some((id) => !hidden.has(id))
}

export class HiddenOutputs {
  private readonly hidden = new Set<string>()

  constructor(private readonly cells: () => readonly OutputCell[]) {}

  /** Hides the outputs of the code cells among `ids`, or shows them when all are hidden. */
  toggle(ids: readonly string[]): void {
    const code = new Set(this.cells().filter((cell) => cell.type === 'code').map((cell) => cell.id))
    const chosen = ids.filter((id) => code.has(id))
    const hide = hidesOutputs(this.hidden, chosen)
    for (const id of chosen) {
      if (hide) this.hidden.add(id)
      else this.hidden.delete(id)
    }
    this.paint()
  }

  isHidden(id: string): boolean {
    return this.hidden.has(id)
  }

  /** Marks every cell (call after cells are re-created: a move or a type change). */
  paint(): void {
    for (const cell of this.cells()) {
      const hidden = this.hidden.has(cell.id) && cell.type === 'code'
      cell.element.classList.toggle('outputs-hidden', hidden)
      const outputs = cell.element.querySelector(':scope .cell-outputs')
      let note = cell.element.querySelector<HTMLButtonElement>(':scope .outputs-hidden-note')
      if (!hidden) note?.remove()
      else if (note === null && outputs !== null) {
        note = button('Outputs hidden', 'Show the outputs again (O)', (event) => {
          event.stopPropagation()
          this.toggle([cell.id])
        }, { class: 'btn outputs-hidden-note' })
        outputs.after(keepFocusOnPress(note))
      }
    }
  }
}
