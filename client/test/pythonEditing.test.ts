import { insertNewlineAndIndent, toggleComment } from '@codemirror/commands'
import { python } from '@codemirror/lang-python'
import { ensureSyntaxTree, indentUnit } from '@codemirror/language'
import { EditorSelection, EditorState, type StateCommand } from '@codemirror/state'
import { describe, expect, it } from 'vitest'

import { completionOptions } from '../src/editor/kernelAssist'
import {
  DEFAULT_INDENT,
  dedentAtCursor,
  detectIndentUnit,
  fromCodePoints,
  indentAtCursor,
  requestWindow,
  shiftTabIntent,
  stripAnsi,
  tabIntent,
  toCodePoints
} from '../src/editor/pythonEditing'

/** A Python editor state with the cursor at `|` (or the selection between two `|`). */
function editor(text: string, unit = DEFAULT_INDENT): EditorState {
  const marks = [...text.matchAll(/\|/g)].map((m, i) => m.index - i)
  const doc = text.replaceAll('|', '')
  const selection = marks.length === 2 ? EditorSelection.range(marks[0]!, marks[1]!) : EditorSelection.cursor(marks[0] ?? doc.length)
  const state = EditorState.create({ doc, selection, extensions: [python(), indentUnit.of(unit), EditorState.tabSize.of(4)] })
  // Indentation reads the syntax tree; on a busy machine the parser's first time slice may
  // end before the whole (tiny) document is parsed: parse it all first, as an editor does.
  // ensureSyntaxTree parses on in the state's parse context, but the tree the state itself
  // shows (syntaxTree, what indentation reads) is the one it was made with: a transaction
  // takes the finished tree into a new state.
  ensureSyntaxTree(state, doc.length, 10_000)
  return state.update({}).state
}

/** The text after the command, with `|` where the cursor ends. */
function after(state: EditorState, command: StateCommand): string {
  let next = state
  expect(command({ state, dispatch: (tr) => (next = tr.state) })).toBe(true)
  const head = next.selection.main.head
  const doc = next.doc.toString()
  return next.selection.main.empty ? `${doc.slice(0, head)}|${doc.slice(head)}` : doc
}

describe('the indent unit', () => {
  it('is 4 spaces unless the cells say otherwise', () => {
    expect(detectIndentUnit([])).toBe('    ')
    expect(detectIndentUnit(['x = 1', 'print(x)'])).toBe('    ')
    expect(detectIndentUnit(['def f():\n    return 1'])).toBe('    ')
  })

  it("is the notebook's own when its blocks say it", () => {
    expect(detectIndentUnit(['def f():\n  if x:\n    return 1', 'for i in r:\n  pass'])).toBe('  ')
    expect(detectIndentUnit(['def f():\n\treturn 1'])).toBe('\t')
    // The commonest step wins; a continuation line indented further does not count.
    expect(detectIndentUnit(['def f():\n    a = (1,\n         2)\n', 'if y:  # note\n    pass', 'if z:\n  pass'])).toBe('    ')
  })
})

describe('Enter, Tab and Shift-Tab in a Python cell', () => {
  it('opens a block one unit deeper: 8 inside a 4-space block, not 6', () => {
    expect(after(editor('if a:|'), insertNewlineAndIndent)).toBe('if a:\n    |')
    expect(after(editor('def f():\n    if a:|'), insertNewlineAndIndent)).toBe('def f():\n    if a:\n        |')
    expect(after(editor('def f():\n  if a:|', '  '), insertNewlineAndIndent)).toBe('def f():\n  if a:\n    |')
  })

  it('Tab indents to the next stop in leading whitespace, and completes after a name', () => {
    expect(after(editor('if a:\n|'), indentAtCursor)).toBe('if a:\n    |')
    expect(after(editor('if a:\n  |'), indentAtCursor)).toBe('if a:\n    |')
    expect(tabIntent('')).toBe('indent')
    expect(tabIntent('    ')).toBe('indent')
    expect(tabIntent('os.pa')).toBe('complete')
    expect(tabIntent('import o')).toBe('complete')
    expect(tabIntent('    x.')).toBe('complete')
  })

  it('Tab indents every selected line; Shift-Tab dedents', () => {
    expect(after(editor('|a = 1\nb = 2|'), indentAtCursor)).toBe('    a = 1\n    b = 2')
    expect(after(editor('if a:\n        |b'), dedentAtCursor)).toBe('if a:\n    |b')
  })

  it('Shift-Tab asks for help after a name or an open call, dedents elsewhere', () => {
    expect(shiftTabIntent('os.path.join')).toBe('inspect')
    expect(shiftTabIntent('print(')).toBe('inspect')
    expect(shiftTabIntent('    df.head(')).toBe('inspect')
    expect(shiftTabIntent('    ')).toBe('dedent')
    expect(shiftTabIntent('x = ')).toBe('dedent')
    expect(shiftTabIntent('')).toBe('dedent')
  })

  it('Ctrl-/ toggles a # comment on the lines', () => {
    expect(after(editor('|a = 1\nb = 2|'), toggleComment)).toBe('# a = 1\n# b = 2')
    expect(after(editor('# a = 1|'), toggleComment)).toBe('a = 1|')
  })
})

describe('what the kernel is asked and answers', () => {
  it('counts offsets in code points, as Jupyter does', () => {
    const text = 'x = "🐍"; os.pa'
    const cursor = text.length
    expect(toCodePoints(text, cursor)).toBe(cursor - 1)
    expect(fromCodePoints(text, cursor - 1)).toBe(cursor)
    expect(fromCodePoints(text, toCodePoints(text, 5))).toBe(5)
  })

  it('sends a window of whole lines around the cursor when the cell is long', () => {
    const code = Array.from({ length: 5000 }, (_, i) => `line_${i} = ${i}`).join('\n')
    const cursor = code.indexOf('line_4000')
    const window = requestWindow(code, cursor, 2000)
    expect(window.code.length).toBeLessThanOrEqual(2000)
    expect(code.slice(window.start, window.start + window.code.length)).toBe(window.code)
    expect(window.code.slice(window.cursor)).toMatch(/^line_4000 = 4000\n/)
    expect(window.code.startsWith('line_')).toBe(true)
    expect(requestWindow('os.pa', 5)).toEqual({ code: 'os.pa', cursor: 5, start: 0 })
  })

  it("shows the kernel's types, and its help without colours", () => {
    const options = completionOptions({
      matches: ['path', 'pathsep', 'pardir'],
      cursor_start: 3,
      cursor_end: 5,
      types: [
        { text: 'path', type: 'module', signature: '' },
        { text: 'pathsep', type: '<unknown>', signature: '' },
        { text: 'pardir', type: 'function', signature: '(a, b)' }
      ]
    })
    expect(options).toEqual([
      { label: 'path', type: 'namespace', detail: 'module' },
      { label: 'pathsep' },
      { label: 'pardir', type: 'function', detail: '(a, b)' }
    ])
    expect(stripAnsi('\x1b[31mSignature:\x1b[39m os.path.join(a, *p)')).toBe('Signature: os.path.join(a, *p)')
  })
})
