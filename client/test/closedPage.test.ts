import { describe, expect, it } from 'vitest'

import { CloseCode } from '../src/closeCodes'
import { neverOpened } from '../src/pages/closedPage'

describe('a notebook page that never opened', () => {
  it('names the typed path for a missing notebook, not the server’s file path', () => {
    const said = neverOpened('typo.ipynb', CloseCode.NOT_FOUND, '/srv/notebooks/typo.ipynb: no such notebook; check the path')
    expect(said.title).toBe('This notebook does not exist')
    expect(said.body).toContain('typo.ipynb')
    expect(said.body).not.toContain('/srv')
  })

  it('says why another refusal stopped it', () => {
    const said = neverOpened('a.ipynb', CloseCode.FORBIDDEN, 'this invite is for b.ipynb')
    expect(said.title).toBe('This notebook cannot be opened')
    expect(said.body).toContain('this invite is for b.ipynb')
  })
})
