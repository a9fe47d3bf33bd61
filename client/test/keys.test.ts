import { describe, expect, it } from 'vitest'

import { CommandKeys, EDITING_ACTIONS, SHORTCUTS } from '../src/notebook/keys'

function keys(): { press: CommandKeys['press']; advance: (ms: number) => void } {
  let now = 0
  const commands = new CommandKeys(() => now, 1000)
  return { press: (input) => commands.press(input), advance: (ms) => (now += ms) }
}

describe('CommandKeys', () => {
  it('maps Jupyter command-mode keys to actions', () => {
    const { press } = keys()
    expect(press({ key: 'Enter' })).toBe('edit')
    expect(press({ key: 'Enter', shift: true })).toBe('run-next')
    expect(press({ key: 'Enter', ctrl: true })).toBe('run-stay')
    expect(press({ key: 'Enter', alt: true })).toBe('run-insert')
    expect(press({ key: 'a' })).toBe('insert-above')
    expect(press({ key: 'B' })).toBe('insert-below') // Caps Lock
    expect(press({ key: 'A', shift: true })).toBe('insert-heading-above')
    expect(press({ key: 'B', shift: true })).toBe('insert-heading-below')
    expect(press({ key: 'm' })).toBe('to-markdown')
    expect(press({ key: 'y' })).toBe('to-code')
    expect(press({ key: 'r' })).toBe('to-raw')
    expect(press({ key: 'ArrowUp' })).toBe('select-prev')
    expect(press({ key: 'k' })).toBe('select-prev')
    expect(press({ key: 'ArrowDown' })).toBe('select-next')
    expect(press({ key: 'j' })).toBe('select-next')
    expect(press({ key: 'ArrowUp', ctrl: true, shift: true })).toBe('move-up')
    expect(press({ key: 'ArrowDown', meta: true, shift: true })).toBe('move-down')
    expect(press({ key: 'z' })).toBe('undo')
    expect(press({ key: 'Z', shift: true })).toBe('redo')
    expect(press({ key: 'z', ctrl: true })).toBe('undo')
    expect(press({ key: 'z', ctrl: true, shift: true })).toBe('redo')
    expect(press({ key: 'h' })).toBe('help')
  })

  it("maps JupyterLab's cell clipboard, merge and multi-select keys", () => {
    const { press } = keys()
    expect(press({ key: 'c' })).toBe('copy')
    expect(press({ key: 'x' })).toBe('cut')
    expect(press({ key: 'v' })).toBe('paste-below')
    expect(press({ key: 'V', shift: true })).toBe('paste-above')
    expect(press({ key: 'M', shift: true })).toBe('merge')
    expect(press({ key: 'm' })).toBe('to-markdown')
    expect(press({ key: 'ArrowUp', shift: true })).toBe('extend-up')
    expect(press({ key: 'K', shift: true })).toBe('extend-up')
    expect(press({ key: 'ArrowDown', shift: true })).toBe('extend-down')
    expect(press({ key: 'J', shift: true })).toBe('extend-down')
    expect(press({ key: 'C', shift: true })).toBe('copy')
    expect(press({ key: 'v', ctrl: true })).toBeNull() // the browser's paste, in an editor
  })

  it('selects all cells on Ctrl+A (⌘A), extends to the ends on Shift+Home / End and makes headings on 1 to 6, as JupyterLab', () => {
    const { press } = keys()
    expect(press({ key: 'a', ctrl: true })).toBe('select-all')
    expect(press({ key: 'a', meta: true })).toBe('select-all')
    expect(press({ key: 'A', ctrl: true })).toBe('select-all') // Caps Lock
    expect(press({ key: 'a' })).toBe('insert-above')
    expect(press({ key: 'Home', shift: true })).toBe('extend-top')
    expect(press({ key: 'End', shift: true })).toBe('extend-bottom')
    expect(press({ key: 'Home' })).toBe('select-first')
    expect(press({ key: 'End' })).toBe('select-last')
    expect(EDITING_ACTIONS.has('select-all')).toBe(false)
    expect(press({ key: '1' })).toBe('heading-1')
    expect(press({ key: '6' })).toBe('heading-6')
    expect(press({ key: '7' })).toBeNull()
    expect(press({ key: '1', ctrl: true })).toBeNull()
    expect(EDITING_ACTIONS.has('heading-3')).toBe(true)
    expect(EDITING_ACTIONS.has('duplicate')).toBe(true)
  })

  it("merges above on Ctrl+Backspace and below on Ctrl+Shift+M, toggles line numbers on Shift+L and folds headings on the arrows, as JupyterLab 4's tracker.json", () => {
    const { press } = keys()
    expect(press({ key: 'Backspace', ctrl: true })).toBe('merge-above')
    expect(press({ key: 'Backspace', meta: true })).toBe('merge-above')
    expect(press({ key: 'Backspace' })).toBeNull()
    expect(press({ key: 'M', ctrl: true, shift: true })).toBe('merge-below')
    expect(press({ key: 'M', shift: true })).toBe('merge')
    expect(press({ key: 'L', shift: true })).toBe('toggle-line-numbers')
    expect(press({ key: 'l' })).toBeNull()
    expect(press({ key: 'o' })).toBe('toggle-outputs') // the classic Notebook's O
    expect(EDITING_ACTIONS.has('toggle-outputs')).toBe(false)
    expect(press({ key: 'ArrowLeft' })).toBe('collapse-heading')
    expect(press({ key: 'ArrowRight' })).toBe('expand-heading')
    expect(press({ key: 'ArrowLeft', ctrl: true, shift: true })).toBe('collapse-all')
    expect(press({ key: 'ArrowRight', ctrl: true, shift: true })).toBe('expand-all')
    for (const action of ['merge-above', 'merge-below', 'clear-outputs', 'clear-all-outputs'] as const) expect(EDITING_ACTIONS.has(action)).toBe(true)
    // Per person: a viewer folds and numbers lines too.
    for (const action of ['toggle-line-numbers', 'collapse-heading', 'expand-all'] as const) expect(EDITING_ACTIONS.has(action)).toBe(false)
  })

  it('deletes on D, D within the chord time only', () => {
    const { press, advance } = keys()
    expect(press({ key: 'd' })).toBeNull()
    expect(press({ key: 'd' })).toBe('delete')
    expect(press({ key: 'd' })).toBeNull()
    advance(1500)
    expect(press({ key: 'd' })).toBeNull()
    expect(press({ key: 'q' })).toBeNull()
    expect(press({ key: 'd' })).toBeNull()
  })

  it('interrupts on I, I and restarts on 0, 0; chords of different keys do not mix', () => {
    const { press, advance } = keys()
    expect(press({ key: 'i' })).toBeNull()
    expect(press({ key: 'I' })).toBe('interrupt')
    expect(press({ key: '0' })).toBeNull()
    expect(press({ key: '0' })).toBe('restart')
    expect(press({ key: 'i' })).toBeNull()
    expect(press({ key: '0' })).toBeNull()
    expect(press({ key: 'd' })).toBeNull()
    expect(press({ key: 'i' })).toBeNull()
    advance(1500)
    expect(press({ key: 'i' })).toBeNull()
    expect(press({ key: '0', ctrl: true })).toBeNull()
    expect(press({ key: '0' })).toBeNull()
  })

  it('leaves keys with Ctrl or Alt alone unless they are bound', () => {
    const { press } = keys()
    expect(press({ key: 'a', ctrl: true, shift: true })).toBeNull()
    expect(press({ key: 'c', ctrl: true })).toBeNull()
    expect(press({ key: 'b', alt: true })).toBeNull()
  })

  it('documents every action once, and marks which ones edit', () => {
    const actions = SHORTCUTS.map((s) => s.action)
    expect(new Set(actions).size).toBe(actions.length)
    expect(EDITING_ACTIONS.has('delete')).toBe(true)
    expect(EDITING_ACTIONS.has('select-next')).toBe(false)
    expect(EDITING_ACTIONS.has('help')).toBe(false)
    for (const action of ['cut', 'paste-below', 'insert-heading-above', 'insert-heading-below', 'paste-above', 'merge', 'split'] as const) expect(EDITING_ACTIONS.has(action)).toBe(true)
    for (const action of ['copy', 'extend-up', 'extend-down'] as const) expect(EDITING_ACTIONS.has(action)).toBe(false)
  })
})
