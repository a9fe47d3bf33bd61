import { describe, expect, it } from 'vitest'

import { isSaveKey, saveNote } from '../src/pages/pageKeys'

describe('page keys', () => {
  it('takes Ctrl+S and ⌘S, with or without Shift, and nothing else', () => {
    expect(isSaveKey({ key: 's', ctrl: true })).toBe(true)
    expect(isSaveKey({ key: 's', meta: true })).toBe(true)
    expect(isSaveKey({ key: 'S', ctrl: true, shift: true })).toBe(true)
    expect(isSaveKey({ key: 's' })).toBe(false)
    expect(isSaveKey({ key: 's', ctrl: true, alt: true })).toBe(false)
    expect(isSaveKey({ key: 'd', ctrl: true })).toBe(false)
  })

  it('says where the changes are, for the connection the page has', () => {
    expect(saveNote('a.ipynb', false, { kind: 'connected' })).toMatch(/^Saved: .* writes a\.ipynb/)
    expect(saveNote('a.ipynb', false, { kind: 'offline' })).toMatch(/^Not connected: .* as soon as it reconnects/)
    expect(saveNote('a.ipynb', false, { kind: 'reconnecting', attempts: 2 })).toMatch(/^Not connected/)
    expect(saveNote('a.ipynb', false, { kind: 'reload', reason: 'rebuilt' })).toMatch(/^Not saved/)
    expect(saveNote('a.ipynb', true, { kind: 'connected' })).toBe('Nothing to save: you are viewing a.ipynb. Download keeps a copy of it.')
  })
})
