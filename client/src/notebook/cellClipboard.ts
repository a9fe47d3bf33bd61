/** The cells a person copied (C) or cut (X), for V and Shift+V to paste: kept for this browser
 * tab (sessionStorage), so they paste into another notebook opened in the same tab, as
 * JupyterLab's cell clipboard does across its notebooks. Nothing goes to the system clipboard
 * (JupyterLab's C does not either).
 *
 * What comes back from storage is someone's input: only the shape of a cell is kept (type,
 * source, metadata, outputs, count, attachments), and a pasted cell renders with the same
 * sanitising as any cell. */

import type { CellJson, CellType } from './actions'

/** The part of the Web Storage API the clipboard uses (sessionStorage in the page). */
export interface ClipboardStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export const CLIPBOARD_KEY = 'pairbook.cells'

const TYPES: ReadonlySet<string> = new Set<CellType>(['code', 'markdown', 'raw'])

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

export class CellClipboard {
  /** The last copy made in this page; storage holds it for the next pages of the tab. */
  private cells: CellJson[] | null = null

  constructor(private readonly store: ClipboardStore | null) {}

  /** Keeps a copy of the cells (a snapshot: later edits of the cells do not change it). */
  copy(cells: readonly CellJson[]): void {
    this.cells = structuredClone([...cells])
    try {
      this.store?.setItem(CLIPBOARD_KEY, JSON.stringify(this.cells))
    } catch {
      // Over the storage quota (large outputs): the copy stays in this page only.
    }
  }

  /** The cells to paste: the last copy of this page, else of an earlier page of this tab. */
  paste(): CellJson[] {
    if (this.cells !== null) return structuredClone(this.cells)
    let text: string | null = null
    try {
      text = this.store?.getItem(CLIPBOARD_KEY) ?? null
    } catch {
      return []
    }
    return text === null ? [] : parseCells(text)
  }
}

/** The cells in a stored clipboard; whatever is not a cell's shape is left out. */
export function parseCells(text: string): CellJson[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return []
  }
  if (!Array.isArray(value)) return []
  return value.flatMap((item: unknown) => {
    const cell = parseCell(item)
    return cell === null ? [] : [cell]
  })
}

function parseCell(item: unknown): CellJson | null {
  if (!isObject(item) || typeof item.cell_type !== 'string' || !TYPES.has(item.cell_type)) return null
  const source = Array.isArray(item.source) && item.source.every((line) => typeof line === 'string') ? item.source.join('') : item.source
  if (typeof source !== 'string') return null
  const cell: CellJson = { cell_type: item.cell_type as CellType, source, metadata: isObject(item.metadata) ? item.metadata : {} }
  if (cell.cell_type === 'code') {
    cell.outputs = Array.isArray(item.outputs) ? item.outputs.filter((output) => isObject(output) && typeof output.output_type === 'string') : []
    cell.execution_count = typeof item.execution_count === 'number' && Number.isInteger(item.execution_count) ? item.execution_count : null
  } else if (isObject(item.attachments)) {
    cell.attachments = item.attachments
  }
  return cell
}

/** This tab's sessionStorage, or null where the browser refuses it (storage turned off). */
export function tabStorage(): ClipboardStore | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}
