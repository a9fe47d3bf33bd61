import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'

import { displayLines, forgetMacros, renderLatex, useMath } from '../src/notebook/math'

const md = useMath(new MarkdownIt({ html: true }))
const rows = (html: string): number => html.match(/<mtr>/g)?.length ?? 0

describe('display math', () => {
  it('sets lines split by \\\\ outside any group as lines', () => {
    expect(displayLines('a = 1 \\\\ b = 2')).toBe('\\begin{gathered}a = 1 \\\\ b = 2\\end{gathered}')
    expect(rows(md.render('$$\na = 1 \\\\\nb = 2 \\\\\nc = 3\n$$'))).toBe(3)
    expect(rows(renderLatex('$$a \\\\ b$$'))).toBe(2)
  })

  it('leaves \\\\ inside an environment or a group to it', () => {
    const aligned = '\\begin{aligned} a &= b \\\\ &= c \\end{aligned}'
    expect(displayLines(aligned)).toBe(aligned)
    expect(displayLines('\\frac{a \\\\ b}{c}')).toBe('\\frac{a \\\\ b}{c}')
    expect(displayLines('x \\% 2 % a comment \\\\')).toBe('x \\% 2 % a comment \\\\')
    expect(displayLines('\\{ a \\}')).toBe('\\{ a \\}')
  })

  it('typesets an environment standing alone in markdown, as JupyterLab does', () => {
    const html = md.render('Some text.\n\n\\begin{align}\nx &= 1 \\\\\ny &= 2\n\\end{align}\n\nMore text.')
    expect(html).toContain('<math')
    expect(html).not.toContain('\\begin{align}</p>')
    expect(rows(html)).toBe(2)
    expect(html).toContain('<p>More text.</p>')
  })

  it('typesets a long derivation: more macros than KaTeX allows by default', () => {
    const long = Array.from({ length: 200 }, (_, i) => `x_{${i}} \\implies`).join(' ')
    const html = md.render(`$$\n${long} y\n$$`)
    expect(html).toContain('<math')
    expect(html).not.toContain('katex-error')
    expect(html).not.toContain('Too many expansions')
  })
})

describe('the MathML', () => {
  it('holds the formula only, not a copy of its TeX', () => {
    const html = md.render('$x^2$ and $$\\frac{a}{b}$$')
    expect(html).toContain('<msup>')
    expect(html).not.toContain('annotation')
    expect(html).not.toContain('x^2')
  })
})

/** KaTeX's two ways of refusing: a parse error, or an unknown command set in red. */
const shownInRed = (html: string): boolean => html.includes('katex-error') || html.includes('#cc0000')

describe('what MathJax accepts', () => {
  it('drops \\label and lets \\newcommand redefine a macro KaTeX has, for later cells too', () => {
    forgetMacros()
    const md = useMath(new MarkdownIt())
    const labelled = md.render('$$x = 1 \\label{eq:one}$$')
    expect(labelled).toContain('<math')
    expect(shownInRed(labelled)).toBe(false)
    expect(labelled).not.toContain('eq:one')
    const defined = md.render('$\\newcommand{\\R}{\\mathbb{Q}} \\newcommand\\half{\\frac12}$')
    expect(shownInRed(defined)).toBe(false)
    const used = md.render('$\\R + \\half$') // another cell, later
    expect(shownInRed(used)).toBe(false)
    expect(used).toContain('mathvariant="double-struck">Q<')
    expect(used).toContain('<mfrac>')
    forgetMacros() // another notebook: its own macros only
    expect(shownInRed(md.render('$\\half$'))).toBe(true)
  })
})
