/** Markdown cells rendered with markdown-it, then sanitized with DOMPurify. */

import DOMPurify from 'dompurify'
import MarkdownIt from 'markdown-it'

const md = new MarkdownIt({ html: true, linkify: true, typographer: false })

export function renderMarkdown(target: HTMLElement, source: string): void {
  const clean = DOMPurify.sanitize(md.render(source))
  target.innerHTML = clean
  for (const link of target.querySelectorAll('a[href]')) {
    link.setAttribute('target', '_blank')
    link.setAttribute('rel', 'noopener noreferrer')
  }
}
