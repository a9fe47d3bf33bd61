import { describe, expect, it } from 'vitest'

import { modeLabel } from '../src/pages/modeLabel'

describe('the mode label', () => {
  it('says where the keyboard goes', () => {
    expect(modeLabel('command', false)).toEqual({ text: 'Command mode', mode: 'command' })
    expect(modeLabel('edit', false)).toEqual({ text: 'Edit mode', mode: 'edit' })
  })

  it('never says Edit mode in an editor that takes no typing', () => {
    expect(modeLabel('edit', true)).toEqual({ text: 'Read-only: not your turn', mode: 'locked' })
  })

  it("says an input() prompt has the keyboard: neither editing nor command mode", () => {
    expect(modeLabel('input', false)).toEqual({ text: 'Answering input()', mode: 'input' })
  })
})
