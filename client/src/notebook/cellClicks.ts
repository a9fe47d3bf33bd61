/** Mouse presses on a cell: a press selects the cell; Shift+click extends the selection. */

/** Listens on a cell's element: `select(extend)` is called with false for a plain press
 * (outside its editor and buttons) and true for Shift+click outside the focused editor. */
export function listenForCellClicks(element: HTMLElement, select: (extend: boolean) => void, editorFocused: () => boolean): void {
  element.addEventListener('mousedown', (event) => {
    if (!(event.target instanceof Element) || !event.target.closest('.cm-editor, button')) select(false)
  })
  // Shift+click extends the selection to this cell, as in JupyterLab, rather than putting a
  // cursor in it (before the editor sees the press); in the editor one types in, it
  // extends the text selection.
  element.addEventListener(
    'mousedown',
    (event) => {
      const target = event.target instanceof Element ? event.target : null
      if (!event.shiftKey || event.button !== 0 || editorFocused() || target?.closest('button, a, input, textarea, select') != null) return
      event.preventDefault()
      event.stopPropagation()
      select(true)
    },
    true
  )
}
