/** Python editing as JupyterLab does it: the indent unit (4 spaces, or the notebook's own),
 * what Tab and Shift-Tab mean where the cursor is, and the offsets Jupyter counts in. Pure. */

import { indentLess, indentMore } from '@codemirror/commands'
import { getIndentUnit, indentUnit } from '@codemirror/language'
import { EditorSelection, type StateCommand } from '@codemirror/state'

export const DEFAULT_INDENT = '    '

/** The indent unit a notebook's code cells use: a tab if their blocks are indented with
 * tabs, else the smallest step in spaces between a block opener (`...:`) and its body
 * (2 to 8); 4 spaces when the cells do not say. */
export function detectIndentUnit(sources: readonly string[]): string {
  const steps = new Map<string, number>()
  for (const source of sources) {
    const lines = source.split('\n')
    for (let i = 0; i + 1 < lines.length; i++) {
      const line = lines[i]!
      if (!/:\s*(#.*)?$/.test(line)) continue
      const next = lines.slice(i + 1).find((l) => l.trim() !== '')
      if (next === undefined) continue
      const outer = /^[ \t]*/.exec(line)![0]
      const inner = /^[ \t]*/.exec(next)![0]
      if (!inner.startsWith(outer) || inner.length <= outer.length) continue
      const step = inner.slice(outer.length)
      const key = /^\t+$/.test(step) ? '\t' : /^ {2,8}$/.test(step) ? step : null
      if (key !== null) steps.set(key, (steps.get(key) ?? 0) + 1)
    }
  }
  let best: string | null = null
  for (const [step, count] of steps) {
    if (best === null || count > steps.get(best)! || (count === steps.get(best) && step.length < best.length)) best = step
  }
  return best ?? DEFAULT_INDENT
}

/** What Tab does with this text before the cursor on its line: indent in leading
 * whitespace (or at the start), complete after anything else (JupyterLab's rule). */
export function tabIntent(before: string): 'indent' | 'complete' {
  return before.trim() === '' ? 'indent' : 'complete'
}

/** What Shift-Tab does: show the kernel's help after a name or an opening parenthesis
 * (`os.path.join`, `print(`), dedent anywhere else. */
export function shiftTabIntent(before: string): 'inspect' | 'dedent' {
  return /[\p{L}\p{N}_)\]]\s*\(?$/u.test(before) && before.trim() !== '' ? 'inspect' : 'dedent'
}

/** Tab without a completion: indents selected lines by one unit; at an empty cursor,
 * inserts spaces up to the next multiple of the unit (a tab if the unit is a tab). */
export const indentAtCursor: StateCommand = ({ state, dispatch }) => {
  if (state.readOnly) return false
  if (state.selection.ranges.some((range) => !range.empty)) return indentMore({ state, dispatch })
  const unit = getIndentUnit(state)
  const useTab = state.facet(indentUnit).includes('\t')
  const change = state.changeByRange((range) => {
    const line = state.doc.lineAt(range.head)
    const column = countColumn(line.text.slice(0, range.head - line.from), state.tabSize)
    const insert = useTab ? '\t' : ' '.repeat(unit - (column % unit))
    return { changes: { from: range.head, insert }, range: EditorSelection.cursor(range.head + insert.length) }
  })
  dispatch(state.update(change, { scrollIntoView: true, userEvent: 'input.indent' }))
  return true
}

/** Shift-Tab without help: the lines at the cursor lose one unit. */
export const dedentAtCursor: StateCommand = (target) => indentLess(target)

function countColumn(text: string, tabSize: number): number {
  let column = 0
  for (const ch of text) column = ch === '\t' ? column + tabSize - (column % tabSize) : column + 1
  return column
}

/** A UTF-16 offset (JavaScript's) as Jupyter counts it: in code points. */
export function toCodePoints(text: string, offset: number): number {
  let points = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < offset) i++
    points++
  }
  return points
}

/** A code-point offset (Jupyter's) as a UTF-16 offset into `text`. */
export function fromCodePoints(text: string, points: number): number {
  let offset = 0
  for (let seen = 0; seen < points && offset < text.length; seen++) {
    const code = text.charCodeAt(offset)
    offset += code >= 0xd800 && code <= 0xdbff ? 2 : 1
  }
  return offset
}

/** A command frame holds 64 KiB: the code sent with a request is at most this many
 * characters, taken around the cursor. */
export const MAX_REQUEST_CODE = 20_000

/** The part of `code` sent to the kernel: all of it when short, else whole lines around
 * the cursor (most before it); `start` is where the window begins in `code`. */
export function requestWindow(code: string, cursor: number, max = MAX_REQUEST_CODE): { code: string; cursor: number; start: number } {
  if (code.length <= max) return { code, cursor, start: 0 }
  let start = Math.max(0, cursor - Math.floor((max * 3) / 4))
  let end = Math.min(code.length, start + max)
  if (start > 0) start = code.indexOf('\n', start) + 1 || start
  const lineEnd = code.lastIndexOf('\n', end)
  if (end < code.length && lineEnd > cursor) end = lineEnd
  return { code: code.slice(start, end), cursor: cursor - start, start }
}

/** Text without its ANSI escape sequences (IPython colours its help). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
}
