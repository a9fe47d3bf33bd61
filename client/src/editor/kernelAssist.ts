/** The shared kernel's help in a cell editor, as in JupyterLab: Tab completes after a name
 * or a dot (`complete`), Shift-Tab shows the name's signature and docstring (`inspect`).
 * The answers come to this person only (the commands' replies); they are text, shown as
 * text, never HTML. */

import {
  acceptCompletion,
  autocompletion,
  closeCompletion,
  type Completion,
  type CompletionContext,
  type CompletionResult,
  completionKeymap,
  completionStatus,
  startCompletion
} from '@codemirror/autocomplete'
import { type Extension, Prec, StateEffect, StateField } from '@codemirror/state'
import { EditorView, keymap, showTooltip, type Tooltip } from '@codemirror/view'

import { dedentAtCursor, fromCodePoints, indentAtCursor, requestWindow, shiftTabIntent, stripAnsi, tabIntent, toCodePoints } from './pythonEditing'

export interface CompletionReply {
  matches: string[]
  cursor_start: number
  cursor_end: number
  types: Array<{ text: string; type: string; signature: string }>
}

export interface InspectionReply {
  found: boolean
  text: string
}

/** How the editor asks the room's kernel; a string answer is why there is none. */
export interface KernelAssist {
  complete(code: string, cursorPos: number): Promise<CompletionReply | string>
  inspect(code: string, cursorPos: number): Promise<InspectionReply | string>
}

/** IPython's completion types as CodeMirror's icons name them. */
const ICON: Readonly<Record<string, string>> = {
  function: 'function',
  method: 'method',
  module: 'namespace',
  class: 'class',
  instance: 'variable',
  statement: 'variable',
  param: 'variable',
  keyword: 'keyword',
  property: 'property',
  path: 'text',
  magic: 'keyword'
}

/** The popup's options from the kernel's answer (its types when it gave them). */
export function completionOptions(reply: CompletionReply): Completion[] {
  const typed = new Map(reply.types.map((t) => [t.text, t]))
  return reply.matches.map((match) => {
    const info = typed.get(match)
    const option: Completion = { label: match }
    const icon = info === undefined ? undefined : ICON[info.type]
    if (icon !== undefined) option.type = icon
    if (info !== undefined && info.type !== '' && info.type !== '<unknown>') option.detail = info.signature || info.type
    return option
  })
}

// -- the help tooltip (Shift-Tab), and the notes when there is no answer ----------------

interface Note {
  pos: number
  text: string
  kind: 'help' | 'note'
}

const setNote = StateEffect.define<Note | null>()

const noteField = StateField.define<Note | null>({
  create: () => null,
  update(note, tr) {
    for (const effect of tr.effects) if (effect.is(setNote)) return effect.value
    if (note !== null && (tr.docChanged || tr.selection !== undefined)) return null
    return note
  },
  provide: (field) => showTooltip.from(field, (note): Tooltip | null => (note === null ? null : noteTooltip(note)))
})

function noteTooltip(note: Note): Tooltip {
  return {
    pos: note.pos,
    above: false,
    create: () => {
      const dom = document.createElement('div')
      dom.className = note.kind === 'help' ? 'cm-kernel-help' : 'cm-kernel-note'
      dom.setAttribute('role', note.kind === 'help' ? 'dialog' : 'status')
      dom.setAttribute('aria-label', note.kind === 'help' ? 'Help from the kernel' : 'Kernel note')
      const pre = document.createElement('pre')
      pre.textContent = note.text // text only: the kernel's answer never becomes markup
      dom.append(pre)
      return { dom }
    }
  }
}

function showNote(view: EditorView, pos: number, text: string, kind: Note['kind']): void {
  if (!view.dom.isConnected) return
  view.dispatch({ effects: setNote.of({ pos: Math.min(pos, view.state.doc.length), text, kind }) })
}

/** The cursor's code and offset as the kernel is asked them (code points, a window). */
function question(view: EditorView): { code: string; cursor: number; start: number } {
  const head = view.state.selection.main.head
  const window = requestWindow(view.state.doc.toString(), head)
  return { code: window.code, cursor: toCodePoints(window.code, window.cursor), start: window.start }
}

async function inspectAt(view: EditorView, assist: KernelAssist): Promise<void> {
  const head = view.state.selection.main.head
  const asked = question(view)
  const reply = await assist.inspect(asked.code, asked.cursor)
  if (view.state.selection.main.head !== head) return // the person moved on meanwhile
  if (typeof reply === 'string') showNote(view, head, reply, 'note')
  else if (!reply.found) showNote(view, head, 'The kernel has no help for this.', 'note')
  else showNote(view, head, stripAnsi(reply.text), 'help')
}

/** The request Tab sent at once: CodeMirror starts an explicit completion's source 50 ms
 * after it is asked for, and the kernel can answer meanwhile. */
interface Asked {
  view: EditorView
  doc: unknown
  head: number
  window: { code: string; cursor: number; start: number }
  reply: Promise<CompletionReply | string>
}
let sent: Asked | null = null

function ask(view: EditorView, assist: KernelAssist): Asked {
  const window = question(view)
  const { doc, selection } = view.state
  return { view, doc, head: selection.main.head, window, reply: assist.complete(window.code, window.cursor) }
}

function kernelSource(assist: KernelAssist) {
  return async (context: CompletionContext): Promise<CompletionResult | null> => {
    if (!context.explicit || context.view === undefined) return null
    const view = context.view
    const same = sent !== null && sent.view === view && sent.doc === context.state.doc && sent.head === context.pos
    const request = same && sent !== null ? sent : ask(view, assist)
    sent = null
    const asked = request.window
    const reply = await request.reply
    if (typeof reply === 'string') {
      showNote(view, context.pos, reply, 'note')
      return null
    }
    if (reply.matches.length === 0) {
      showNote(view, context.pos, 'No completions.', 'note')
      return null
    }
    const from = asked.start + fromCodePoints(asked.code, reply.cursor_start)
    const to = Math.max(asked.start + fromCodePoints(asked.code, reply.cursor_end), context.pos)
    if (reply.matches.length === 1 && view.state.doc === context.state.doc) {
      insertOnly(view, from, to, reply.matches[0])
      return null
    }
    return { from, to, options: completionOptions(reply), validFor: /^[\w.]*$/ }
  }
}

/** The only completion, inserted at once as JupyterLab does (no popup to accept). */
function insertOnly(view: EditorView, from: number, to: number, match: string): void {
  if (view.state.doc.sliceString(from, to) === match) return // already complete
  view.dispatch({ changes: { from, to, insert: match }, selection: { anchor: from + match.length }, userEvent: 'input.complete' })
}

function lineBefore(view: EditorView): string {
  const head = view.state.selection.main.head
  const line = view.state.doc.lineAt(head)
  return line.text.slice(0, head - line.from)
}

function tab(assist: KernelAssist | null) {
  return (view: EditorView): boolean => {
    if (completionStatus(view.state) === 'active') return acceptCompletion(view)
    const { state } = view
    const single = state.selection.ranges.length === 1 && state.selection.main.empty
    if (single && tabIntent(lineBefore(view)) === 'complete') {
      if (assist === null) return indentAtCursor(view)
      if (state.readOnly) return true
      sent = ask(view, assist)
      return startCompletion(view)
    }
    return indentAtCursor(view)
  }
}

function shiftTab(assist: KernelAssist | null) {
  return (view: EditorView): boolean => {
    const single = view.state.selection.ranges.length === 1 && view.state.selection.main.empty
    if (assist !== null && single && shiftTabIntent(lineBefore(view)) === 'inspect') {
      void inspectAt(view, assist)
      return true
    }
    return dedentAtCursor(view)
  }
}

function escape(view: EditorView): boolean {
  if (view.state.field(noteField, false) != null) {
    view.dispatch({ effects: setNote.of(null) })
    return true
  }
  return completionStatus(view.state) !== null && closeCompletion(view)
}

/** Tab, Shift-Tab and the completion popup's keys; put them before the notebook's own
 * edit-mode keys (Escape and the arrows there would otherwise win over the popup's). */
export function kernelAssist(assist: KernelAssist | null): Extension {
  return [
    Prec.highest(
      keymap.of([
        { key: 'Tab', run: tab(assist) },
        { key: 'Shift-Tab', run: shiftTab(assist) },
        { key: 'Escape', run: escape },
        ...completionKeymap.filter((binding) => binding.key !== 'Escape')
      ])
    ),
    noteField,
    autocompletion({
      override: assist === null ? [] : [kernelSource(assist)],
      activateOnTyping: false,
      defaultKeymap: false,
      icons: true
    }),
    EditorView.baseTheme({
      '.cm-tooltip.cm-tooltip-below:has(> .cm-kernel-help), .cm-tooltip:has(> .cm-kernel-note)': { border: 'none' },
      '.cm-kernel-help pre, .cm-kernel-note pre': {
        margin: '0',
        padding: '6px 8px',
        maxWidth: 'min(80ch, 70vw)',
        maxHeight: '40vh',
        overflow: 'auto',
        whiteSpace: 'pre-wrap',
        font: '12px/1.4 var(--mono, monospace)'
      }
    })
  ]
}

type Request = (command: 'complete' | 'inspect', args: Record<string, unknown>) => Promise<{ ok: boolean; result?: unknown; error?: string } | null>

/** The kernel's help over the room's command channel (`complete`, `inspect`). */
export function assistOver(request: Request): KernelAssist {
  const ask = async <T>(command: 'complete' | 'inspect', args: Record<string, unknown>): Promise<T | string> => {
    const reply = await request(command, args)
    if (reply === null) return 'Not connected to the notebook yet.'
    if (!reply.ok) return `The kernel could not ${command === 'complete' ? 'complete' : 'help'}: ${reply.error ?? 'refused'}.`
    return reply.result as T
  }
  return {
    complete: (code, cursorPos) => ask<CompletionReply>('complete', { code, cursor_pos: cursorPos }),
    inspect: (code, cursorPos) => ask<InspectionReply>('inspect', { code, cursor_pos: cursorPos, detail_level: 0 })
  }
}
