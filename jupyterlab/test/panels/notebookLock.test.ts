import { describe, expect, it } from 'vitest'

import { isEditingKey } from '../../src/panels/notebookLock'

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods })

describe("a navigator's locked notebook", () => {
  it('stops the command-mode keys that change the notebook', () => {
    for (const k of ['a', 'b', 'x', 'v', 'd', 'm', 'y', 'r', 'z', '1', 'Delete', 'Backspace', 'M', 'V']) {
      expect(isEditingKey(key(k), false), k).toBe(true)
    }
    expect(isEditingKey(key('v', { ctrlKey: true }), false)).toBe(true)
  })

  it('lets moving, selecting, copying and finding through', () => {
    for (const k of ['ArrowUp', 'ArrowDown', 'j', 'k', 'J', 'K', 'c', 'Escape', 'Enter', 'Shift', ' ']) {
      expect(isEditingKey(key(k), false), k).toBe(false)
    }
    expect(isEditingKey(key('c', { ctrlKey: true }), false)).toBe(false)
    expect(isEditingKey(key('f', { ctrlKey: true }), false)).toBe(false)
  })

  it('stops running cells, from command mode and from an editor', () => {
    for (const mods of [{ ctrlKey: true }, { shiftKey: true }, { altKey: true }, { metaKey: true }]) {
      expect(isEditingKey(key('Enter', mods), false)).toBe(true)
      expect(isEditingKey(key('Enter', mods), true)).toBe(true)
    }
  })

  it('leaves an editor its own keys (it is read-only), but not the split shortcut', () => {
    expect(isEditingKey(key('a'), true)).toBe(false)
    expect(isEditingKey(key('ArrowLeft'), true)).toBe(false)
    expect(isEditingKey(key('-', { ctrlKey: true, shiftKey: true }), true)).toBe(true)
  })
})
