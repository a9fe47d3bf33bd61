/** Markdown cells rendered with markdown-it, math (`$…$`, `$$…$$`) with KaTeX (math.ts,
 * loaded the first time a notebook shows math), then sanitized (sanitize.ts). */

import MarkdownIt from 'markdown-it'

import type { Attachments } from './attachments'
import { sanitizeHtml } from './sanitize'

type Math = typeof import('./math')

const plain = new MarkdownIt({ html: true, linkify: true, typographer: false })
let withMath: InstanceType<typeof MarkdownIt> | null = null
let math: Math | null = null
let loading: Promise<Math> | null = null

/** What may be math: until KaTeX is here, such text shows as written, then again typeset. */
const MAYBE_MATH = /\$|\\\(|\\\[|\\begin\{/

/** What each element was last asked to show, so a late KaTeX fills only what still stands. */
const shown = new WeakMap<HTMLElement, string>()

function loadMath(): Promise<Math> {
  loading ??= import('./math').then((loaded) => {
    math = loaded
    withMath = loaded.useMath(new MarkdownIt({ html: true, linkify: true, typographer: false }))
    return loaded
  })
  return loading
}

/** Calls `render` now, and once more when KaTeX has loaded if `source` may hold math and
 * `target` still shows it. */
function withKatex(target: HTMLElement, source: string, render: () => void): void {
  shown.set(target, source)
  render()
  if (math !== null || !MAYBE_MATH.test(source)) return
  loadMath().then(
    () => {
      if (shown.get(target) === source) render()
    },
    (error: unknown) => console.error('pairbook: the math renderer did not load', error)
  )
}

/** Another notebook is shown: the math macros the last one defined are forgotten. */
export function forgetMathMacros(): void {
  math?.forgetMacros()
}

/** Markdown (a cell's, with its `attachments`, or an output's) into `target`. */
export function renderMarkdown(target: HTMLElement, source: string, attachments: Attachments = null): void {
  withKatex(target, source, () => {
    target.innerHTML = sanitizeHtml((withMath ?? plain).render(source), attachments)
  })
}

/** A `text/latex` output: its source as text until KaTeX has typeset it. */
export function renderLatex(target: HTMLElement, source: string): void {
  withKatex(target, source, () => {
    if (math === null) target.textContent = source
    else target.innerHTML = sanitizeHtml(math.renderLatex(source))
  })
}
