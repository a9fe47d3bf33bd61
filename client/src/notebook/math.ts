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

/** Macro expansions allowed in one formula: MathJax's `maxMacros`, as JupyterLab has it.
 * KaTeX's 1000 refuses a long derivation (about 130 `\implies` or 250 `\neq` in one
 * display) with "Too many expansions"; the limit is there for runaway macros, not length. */
const MAX_EXPAND = 10_000

/** KaTeX's copy of the TeX beside its MathML. The sanitizer drops the element but keeps its
 * text, which is then read out after the formula, as if it were part of it. */
const ANNOTATION = /<annotation encoding="application\/x-tex">[^<]*<\/annotation>/g

/** What MathJax (JupyterLab's) accepts and KaTeX does not know: `\label{…}` numbers
 * nothing here, so it is read and dropped rather than shown in red. */
const BASE_MACROS: Record<string, string> = { '\\label': '\\@secondoftwo{#1}{}' }

/** The macros a notebook defined (`\newcommand`, `\def`) in any of its formulas, for the
 * formulas after it, as MathJax keeps them; KaTeX writes them here (`globalGroup`). */
let macros: Record<string, string> = { ...BASE_MACROS }

/** Forgets the macros defined so far: another notebook is shown. */
export function forgetMacros(): void {
  macros = { ...BASE_MACROS }
}

/** `\newcommand` of a macro KaTeX already has (`\R`, `\C`, …) redefines it, as in MathJax,
 * instead of failing: provided empty if missing, then renewed. */
export function allowRedefinition(tex: string): string {
  return tex.replace(
    /\\newcommand(?![a-zA-Z])\s*(\{\s*\\(?:[a-zA-Z]+|.)\s*\}|\\(?:[a-zA-Z]+|.))/g,
    '\\providecommand$1{}\\renewcommand$1'
  )
}

/** KaTeX forced to MathML, for the markdown plugin and for `text/latex` outputs. Without
 * `trust`: nothing a notebook writes makes it link or load anything. */
const mathml: typeof katex = {
  ...katex,
  renderToString: (tex: string, options?: KatexOptions) =>
    katex
      .renderToString(allowRedefinition(options?.displayMode === true ? displayLines(tex) : tex), {
        ...options,
        output: 'mathml',
        throwOnError: false,
        strict: 'ignore',
        trust: false,
        macros,
        globalGroup: true,
        maxExpand: MAX_EXPAND
      })
      .replace(ANNOTATION, '')
}

/** `md` with `$…$`, `$$…$$` and bare `\begin{align}…\end{align}` blocks typeset (JupyterLab
 * typesets an environment standing alone in markdown as display math). */
export function useMath(md: Markdown): Markdown {
  return md.use(katexPlugin, { katex: mathml, throwOnError: false, enableBareBlocks: true })
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

/** Display math whose lines are split by `\\` outside any group or environment, set as
 * those lines (MathJax's `\displaylines`): KaTeX's MathML marks such a break with an
 * `<mspace linebreak>` that browsers ignore, so every line ran into one. */
export function displayLines(tex: string): string {
  return hasTopLevelBreak(tex) ? `\\begin{gathered}${tex}\\end{gathered}` : tex
}

function hasTopLevelBreak(tex: string): boolean {
  let depth = 0 // braces and environments both
  for (let i = 0; i < tex.length; i++) {
    const c = tex[i]
    if (c === '{') depth++
    else if (c === '}') depth--
    else if (c === '%') i = endOfLine(tex, i)
    else if (c === '\\') {
      const name = /^\\(?:[a-zA-Z]+|.)/.exec(tex.slice(i))?.[0] ?? '\\'
      if (name === '\\\\' && depth === 0) return true
      if (name === '\\begin') depth++
      else if (name === '\\end') depth--
      i += name.length - 1
    }
  }
  return false
}

function endOfLine(tex: string, from: number): number {
  const end = tex.indexOf('\n', from)
  return end === -1 ? tex.length : end
}
