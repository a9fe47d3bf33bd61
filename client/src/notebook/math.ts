/** Math typeset with KaTeX, as MathML only: the browser typesets it without KaTeX's style
 * sheet and fonts, and MathML passes the sanitizer, which removes the inline styles KaTeX's
 * HTML would need. A chunk of its own (about 0.5 MB), loaded by markdown.ts the first time a
 * notebook shows math. */

import katexPluginModule from '@vscode/markdown-it-katex'
import katex from 'katex'
import type MarkdownIt from 'markdown-it'

type Markdown = InstanceType<typeof MarkdownIt>

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

/** `md` with `$…$` and `$$…$$` typeset. */
export function useMath(md: Markdown): Markdown {
  return md.use(katexPlugin, { katex: mathml, throwOnError: false })
}

/** The math of a `text/latex` output (sympy's `$\displaystyle …$`, `$$…$$`, `\[…\]` or an
 * environment) as MathML, displayed; unsanitized: pass it through `sanitizeHtml`. */
export function renderLatex(source: string): string {
  return mathml.renderToString(stripMathDelimiters(source.trim()), { displayMode: true })
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
