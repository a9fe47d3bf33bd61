import { describe, expect, it } from 'vitest'

import type { CellJson } from '../src/notebook/actions'
import { CellClipboard, CLIPBOARD_KEY, type ClipboardStore, parseCells } from '../src/notebook/cellClipboard'

/** A tab's sessionStorage, in memory; `quota` bytes at most, as a browser refuses more. */
class MemoryStorage implements ClipboardStore {
  readonly items = new Map<string, string>()
  constructor(private readonly quota = Infinity) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    if (value.length > this.quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    this.items.set(key, value)
  }
}

const CODE: CellJson = {
  cell_type: 'code',
  source: 'print(1)',
  metadata: { tags: ['a'] },
  outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
  execution_count: 3
}

describe('CellClipboard', () => {
  it('pastes what was copied, in this page and in the next page of the same tab', () => {
    const tab = new MemoryStorage()
    const first = new CellClipboard(tab)
    expect(first.paste()).toEqual([])
    first.copy([CODE, { cell_type: 'markdown', source: '# hi', metadata: {} }])
    expect(first.paste().map((cell) => cell.source)).toEqual(['print(1)', '# hi'])
    const next = new CellClipboard(tab) // another notebook opened in the same tab
    expect(next.paste()).toEqual([CODE, { cell_type: 'markdown', source: '# hi', metadata: {} }])
  })

  it('keeps a snapshot: neither later edits of the copied cells nor of a paste change it', () => {
    const clipboard = new CellClipboard(null)
    const cell = structuredClone(CODE)
    clipboard.copy([cell])
    cell.metadata.tags = ['changed']
    const pasted = clipboard.paste()
    pasted[0]!.source = 'changed'
    expect(clipboard.paste()[0]).toEqual(CODE)
  })

  it('keeps a copy too large for the storage quota in this page', () => {
    const tab = new MemoryStorage(10)
    const clipboard = new CellClipboard(tab)
    clipboard.copy([CODE])
    expect(clipboard.paste()).toEqual([CODE])
    expect(tab.items.has(CLIPBOARD_KEY)).toBe(false)
  })
})

describe('parseCells', () => {
  it('keeps only the shape of cells from storage', () => {
    const stored = JSON.stringify([
      { ...CODE, id: 'x', execution_state: 'running', extra: 1 },
      { cell_type: 'markdown', source: ['# a', '\nb'], metadata: 'not an object', attachments: { 'i.png': { 'image/png': 'AA==' } } },
      { cell_type: 'script', source: 'alert(1)', metadata: {} },
      { cell_type: 'code', source: 7, metadata: {} },
      { cell_type: 'code', source: 'x', metadata: {}, outputs: [{ output_type: 'stream', text: 'ok' }, 'junk', { no: 'type' }], execution_count: 1.5 },
      'junk',
      null
    ])
    expect(parseCells(stored)).toEqual([
      CODE,
      { cell_type: 'markdown', source: '# a\nb', metadata: {}, attachments: { 'i.png': { 'image/png': 'AA==' } } },
      { cell_type: 'code', source: 'x', metadata: {}, outputs: [{ output_type: 'stream', text: 'ok' }], execution_count: null }
    ])
    expect(parseCells('{"cells": []}')).toEqual([])
    expect(parseCells('not json')).toEqual([])
  })
})
