/** Markdown cells rendered with markdown-it, math (`$…$`, `$$…$$`) with KaTeX, then
 * sanitized (sanitize.ts).
 *
 * KaTeX writes MathML only: the browser typesets it without KaTeX's style sheet and fonts,
 * and MathML passes the sanitizer, which removes the inline styles KaTeX's HTML would need.
 */

import katexPluginModule from '@vscode/markdown-it-katex'
import katex from 'katex'
import MarkdownIt from 'markdown-it'

import { sanitizeHtml } from './sanitize'

// The plugin is CommonJS with `exports.default`: bundlers hand out either the function or the
// module object, depending on their interop.
const katexPlugin: typeof katexPluginModule =
  typeof katexPluginModule === 'function'
    ? katexPluginModule
    : (katexPluginModule as unknown as { default: typeof katexPluginModule }).default

type KatexOptions = Parameters<typeof katex.renderToString>[1]

/** KaTeX forced to MathML, for the markdown plugin and for `text/latex` outputs. */
const mathml: typeof katex = {
  ...katex,
  renderToString: (tex: string, options?: KatexOptions) =>
    katex.renderToString(tex, { ...options, output: 'mathml', throwOnError: false })
}

const md = new MarkdownIt({ html: true, linkify: true, typographer: false })
md.use(katexPlugin, { katex: mathml, throwOnError: false })

export function renderMarkdown(target: HTMLElement, source: string): void {
  target.innerHTML = sanitizeHtml(md.render(source))
}

/** The math of a `text/latex` output (sympy's `$\displaystyle …$`, `$$…$$`, `\[…\]` or an
 * environment) as MathML, displayed; unsanitized: pass it through `sanitizeHtml`. */
export function renderLatex(source: string): string {
  const tex = stripMathDelimiters(source.trim())
  return mathml.renderToString(tex, { displayMode: true })
}

/** `tex` without the delimiters around it: `$$…$$`, `$…$`, `\[…\]`, `\(…\)`. */
export function stripMathDelimiters(tex: string): string {
  for (const [open, close] of [['$$', '$$'], ['\\[', '\\]'], ['\\(', '\\)'], ['$', '$']] as const) {
    if (tex.length >= open.length + close.length && tex.startsWith(open) && tex.endsWith(close)) {
      return tex.slice(open.length, tex.length - close.length).trim()
    }
  }
  return tex
}
