/** Partners' name labels on their carets show while they move, then fade so they never
 * hide code for long; hovering a caret shows its label again. A partner's caret and selection
 * show only in the cell they are in: y-codemirror.next keeps drawing the last cursor of
 * someone who left an editor (a blurred editor does not clear it), so the cell they moved
 * to (awareness `cell`) decides.
 *
 * y-codemirror.next draws each remote caret with its color inline and reuses the DOM while
 * the caret moves, so the labels are switched on by color from one style sheet.
 */

import type { Awareness } from 'y-protocols/awareness'

import { inkOn, isColor } from '../panels/presence'

export const LABEL_SHOW_MS = 4000

/** Cell ids as they may appear in a style sheet: anything else is a peer's attempt at CSS. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The rules that hide each color's carets and selections outside the cells where people of
 * that color are (no cell: everywhere). */
export function strayCursorRules(cellsByColor: ReadonlyMap<string, ReadonlySet<string | null>>): string[] {
  const rules: string[] = []
  for (const [color, cells] of cellsByColor) {
    if (!isColor(color)) continue
    const keep = [...cells].filter((cell): cell is string => cell !== null && SAFE_ID.test(cell))
    const outside = keep.map((cell) => `:not([data-cell-id="${cell}"])`).join('')
    rules.push(`.cell${outside} :is(.cm-ySelectionCaret, .cm-ySelection, .cm-yLineSelection)[style*="${color}"] { display: none; }`)
  }
  return rules
}

/** Which colors' labels to show at `now`, given when each client last moved. */
export function activeColors(
  moved: ReadonlyMap<number, { at: number; color: string }>,
  now: number,
  showMs = LABEL_SHOW_MS
): string[] {
  const colors = new Set<string>()
  for (const { at, color } of moved.values()) if (now - at < showMs) colors.add(color)
  return [...colors].sort()
}

export class CursorLabels {
  private readonly sheet: HTMLStyleElement
  private readonly moved = new Map<number, { at: number; color: string }>()
  private readonly cursors = new Map<number, string>()
  /** Where each partner is: their color and the cell they have selected. */
  private readonly where = new Map<number, { color: string; cell: string | null }>()
  private timer = 0

  constructor(
    private readonly awareness: Awareness,
    private readonly clock: () => number = () => performance.now()
  ) {
    this.sheet = document.createElement('style')
    document.head.append(this.sheet)
    awareness.on('change', this.onChange)
  }

  destroy(): void {
    this.awareness.off('change', this.onChange)
    clearTimeout(this.timer)
    this.sheet.remove()
  }

  private readonly onChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const states = this.awareness.getStates()
    for (const id of removed) {
      this.moved.delete(id)
      this.cursors.delete(id)
      this.where.delete(id)
    }
    for (const id of [...added, ...updated]) {
      if (id === this.awareness.clientID) continue
      const state = states.get(id)
      const cursor = JSON.stringify(state?.cursor ?? null)
      const color = (state?.user as { color?: unknown } | undefined)?.color
      if (cursor !== this.cursors.get(id) && isColor(color) && state?.cursor != null) {
        this.moved.set(id, { at: this.clock(), color })
      }
      this.cursors.set(id, cursor)
      if (isColor(color)) this.where.set(id, { color, cell: typeof state?.cell === 'string' ? state.cell : null })
      else this.where.delete(id)
    }
    this.render()
  }

  private render(): void {
    const now = this.clock()
    const colors = activeColors(this.moved, now)
    const caret = (color: string): string => `.cm-ySelectionCaret[style*="${color};"] > .cm-ySelectionInfo`
    const known = new Set([...this.moved.values()].map((m) => m.color))
    const cellsByColor = new Map<string, Set<string | null>>()
    for (const { color, cell } of this.where.values()) cellsByColor.set(color, (cellsByColor.get(color) ?? new Set()).add(cell))
    this.sheet.textContent = [
      ...strayCursorRules(cellsByColor),
      ...[...known].map((color) => `${caret(color)} { color: ${inkOn(color)}; }`),
      ...colors.map((color) => `${caret(color)} { opacity: 1; }`)
    ].join('\n')
    clearTimeout(this.timer)
    if (colors.length > 0) this.timer = window.setTimeout(() => this.render(), 500)
  }
}
