/** A cell's CodeMirror 6 editor, bound to the cell's source Y.Text with y-codemirror.next. */

import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete'
import { defaultKeymap } from '@codemirror/commands'
import { python } from '@codemirror/lang-python'
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { Compartment, EditorState, type Extension, Prec } from '@codemirror/state'
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
  rectangularSelection
} from '@codemirror/view'
import { classHighlighter } from '@lezer/highlight'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import { kernelAssist, type KernelAssist } from './kernelAssist'
import { DEFAULT_INDENT } from './pythonEditing'
import type { SourceLanguage } from './staticCode'
import { cellEditorTheme } from './theme'

export interface CellEditorOptions {
  ysource: Y.Text
  awareness: Awareness
  /** The person's own UndoManager: it tracks this editor's origin and never a partner's. */
  undoManager: Y.UndoManager
  language: SourceLanguage
  readOnly: boolean
  /** The notebook's edit-mode keys (Esc, Shift+Enter, arrows across cells), highest precedence. */
  notebookKeys: Extension
  label: string
  onFocus: () => void
  /** Editor extensions from elsewhere (e.g. the lines people point at). */
  extra?: Extension
  /** The shared kernel's completion and help (Tab, Shift-Tab); none: Tab only indents. */
  assist?: KernelAssist | null
  /** The notebook's indent unit (4 spaces unless its cells say otherwise). */
  indentUnit?: string
}

/** Keys of the editor's own: the search keys without Mod-f (the notebook's search has it). */
const EDITOR_KEYS = [...yUndoManagerKeymap, ...closeBracketsKeymap, ...searchKeymap.filter((b) => b.key !== 'Mod-f'), ...defaultKeymap]

/** Each editor's read-only switch: mob mode locks and unlocks editors in place. */
const readOnlySwitches = new WeakMap<EditorView, Compartment>()

function readOnlyExtensions(readOnly: boolean): Extension {
  return [EditorState.readOnly.of(readOnly), EditorView.contentAttributes.of({ 'aria-readonly': String(readOnly) })]
}

/** Makes a mounted editor read-only or editable again. */
export function setEditorReadOnly(view: EditorView, readOnly: boolean): void {
  const compartment = readOnlySwitches.get(view)
  if (compartment !== undefined) view.dispatch({ effects: compartment.reconfigure(readOnlyExtensions(readOnly)) })
}

let markdownSupport: Promise<Extension> | null = null

/** Markdown editing support (with HTML inside it) is a large module: loaded on first use. */
function loadMarkdown(): Promise<Extension> {
  markdownSupport ??= import('@codemirror/lang-markdown').then((module) => module.markdown())
  return markdownSupport
}

export function createCellEditor(parent: HTMLElement, options: CellEditorOptions): EditorView {
  const language = new Compartment()
  const readOnly = new Compartment()
  const isPython = options.language === 'python'
  const extensions: Extension[] = [
    // Before the notebook's keys: Escape and the arrows go to an open popup first.
    kernelAssist(isPython ? (options.assist ?? null) : null),
    Prec.highest(options.notebookKeys),
    yCollab(options.ysource, options.awareness, { undoManager: options.undoManager }),
    keymap.of(EDITOR_KEYS),
    language.of(isPython ? python() : []),
    indentUnit.of(options.indentUnit ?? DEFAULT_INDENT),
    // Multi-cursor: Ctrl/Cmd-click adds a cursor, Alt-drag selects a rectangle, Ctrl-D
    // (the search keys) adds the next occurrence.
    EditorState.allowMultipleSelections.of(true),
    rectangularSelection(),
    crosshairCursor(),
    syntaxHighlighting(classHighlighter),
    highlightSpecialChars(),
    // Shown only while the notebook has its `line-numbers` class (Shift+L: lineNumbers.ts).
    lineNumbers(),
    drawSelection(),
    dropCursor(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightSelectionMatches(),
    EditorView.lineWrapping,
    EditorState.tabSize.of(4),
    readOnly.of(readOnlyExtensions(options.readOnly)),
    EditorView.contentAttributes.of({ 'aria-label': options.label }),
    EditorView.domEventHandlers({
      focus: () => {
        options.onFocus()
        return false
      }
    }),
    placeholder(options.readOnly ? '' : options.language === 'markdown' ? 'Markdown…' : 'Code…'),
    cellEditorTheme,
    options.extra ?? []
  ]
  const view = new EditorView({
    parent,
    state: EditorState.create({ doc: options.ysource.toString(), extensions })
  })
  readOnlySwitches.set(view, readOnly)
  if (options.language === 'markdown') {
    void loadMarkdown().then((support) => {
      if (view.dom.isConnected) view.dispatch({ effects: language.reconfigure(support) })
    })
  }
  return view
}
