/** Markdown cells rendered with markdown-it, then sanitized (sanitize.ts). */

import MarkdownIt from 'markdown-it'

import { sanitizeHtml } from './sanitize'

const md = new MarkdownIt({ html: true, linkify: true, typographer: false })

export function renderMarkdown(target: HTMLElement, source: string): void {
  target.innerHTML = sanitizeHtml(md.render(source))
}
