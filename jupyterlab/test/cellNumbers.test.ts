import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

import { numberTitle } from '../../client/src/notebook/cellNumbers'
import { NUMBER_ATTRIBUTE } from '../src/panels/cellNumbers'

describe('cell numbers in JupyterLab', () => {
  it('are drawn by the style sheet from the attribute the extension sets', () => {
    const css = readFileSync(new URL('../style/panels.css', import.meta.url), 'utf8')
    expect(css).toContain(`.jp-InputPrompt[${NUMBER_ATTRIBUTE}]::before {`)
    expect(css).toContain(`content: attr(${NUMBER_ATTRIBUTE});`)
  })

  it('say on hover what the pairbook page says', () => {
    expect(numberTitle(3)).toBe('Cell 3: its place in the notebook, as messages name it')
  })
})
