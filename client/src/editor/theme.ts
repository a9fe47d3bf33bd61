/** How a cell editor looks: the same metrics as the static code view, so mounting an
 * editor in place of it never moves the page. Colours come from CSS (tok-* classes). */

import { EditorView } from '@codemirror/view'

export const cellEditorTheme = EditorView.theme({
  '&': {
    fontSize: 'var(--code-size)',
    backgroundColor: 'transparent'
  },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': {
    fontFamily: 'var(--code-font)',
    lineHeight: 'var(--code-line)',
    overflow: 'visible'
  },
  '.cm-content': { padding: 'var(--code-pad-y) 0', caretColor: 'var(--ink)' },
  '.cm-line': { padding: '0 var(--code-pad-x)' },
  // Line numbers (Shift+L): the column the far cells' text numbers its lines in (style.css).
  '.cm-gutters': { backgroundColor: 'transparent', border: 'none', color: '#9aa3b5' },
  '.cm-lineNumbers .cm-gutterElement': { boxSizing: 'border-box', minWidth: 'var(--line-gutter)', padding: '0 2px 0 0' },
  '.cm-cursor': { borderLeftWidth: '2px', borderLeftColor: 'var(--ink)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selection) !important'
  },
  // Remote carets from y-codemirror.next: the name label sits above the caret; it shows
  // while its person moves (cursorLabels.ts) and on hover.
  '.cm-ySelectionCaret': { borderLeftWidth: '2px', borderRightWidth: '0' },
  '.cm-ySelectionInfo': {
    top: '-1.45em',
    left: '-2px',
    fontFamily: 'var(--ui-font)',
    fontSize: '11px',
    fontWeight: '600',
    lineHeight: '1.5',
    padding: '0 5px',
    borderRadius: '4px 4px 4px 0',
    pointerEvents: 'none'
  },
  '.cm-ySelectionCaretDot': { display: 'none' }
})
