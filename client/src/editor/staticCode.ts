/** Code shown without an editor: syntax-highlighted text for cells far from the viewport. */

import { pythonLanguage } from '@codemirror/lang-python'
import { classHighlighter, highlightCode } from '@lezer/highlight'

export type SourceLanguage = 'python' | 'markdown' | 'plain'

/** Fills `target` with `code`, highlighted with the same tok-* classes the editor uses. */
export function renderStaticCode(target: HTMLElement, code: string, language: SourceLanguage): void {
  const fragment = document.createDocumentFragment()
  let line = document.createElement('div')
  line.className = 'static-line'
  const flush = (): void => {
    if (!line.hasChildNodes()) line.append('\u200b')
    fragment.append(line)
    line = document.createElement('div')
    line.className = 'static-line'
  }
  if (language === 'python') {
    highlightCode(
      code,
      pythonLanguage.parser.parse(code),
      classHighlighter,
      (text, classes) => {
        if (classes) {
          const span = document.createElement('span')
          span.className = classes
          span.textContent = text
          line.append(span)
        } else {
          line.append(text)
        }
      },
      flush
    )
  } else {
    code.split('\n').forEach((text, index) => {
      if (index > 0) flush()
      line.append(text)
    })
  }
  flush()
  target.replaceChildren(fragment)
}
