import { describe, expect, it } from 'vitest'

import { foldedCells, headingLevel, parentHeading } from '../src/notebook/headingFolds'
import { hidesOutputs } from '../src/notebook/hiddenOutputs'
import { LINE_NUMBERS_KEY, LineNumbers, type SettingStore } from '../src/notebook/lineNumbers'

describe('headingLevel', () => {
  // As JupyterLab reads it: the level of a markdown cell's first block when it is a heading.
  it.each([
    ['markdown', '# Title', 1],
    ['markdown', '\n\n### Three\ntext', 3],
    ['markdown', '###### Six', 6],
    ['markdown', '#', 1],
    ['markdown', 'Title\n===', 1],
    ['markdown', 'Title\n---\nmore', 2],
    ['markdown', '<h2 id="x">Two</h2>', 2],
    // Other cells, and a heading that is not first: 0.
    ['code', '# a comment', 0],
    ['raw', '# raw', 0],
    ['markdown', '#hashtag', 0],
    ['markdown', '####### seven', 0],
    ['markdown', 'text\n\n# later', 0],
    ['markdown', '    # indented code', 0],
    ['markdown', '', 0]
  ] as const)('of a %s cell %j is %i', (type, source, level) => {
    expect(headingLevel(type, source)).toBe(level)
  })
})

describe('foldedCells', () => {
  const cells = [
    { id: 'h1', level: 1 },
    { id: 'a', level: 0 },
    { id: 'h2', level: 2 },
    { id: 'b', level: 0 },
    { id: 'h2b', level: 2 },
    { id: 'c', level: 0 },
    { id: 'h1b', level: 1 },
    { id: 'd', level: 0 }
  ]

  it("hides a collapsed heading's cells down to the next heading of its level or above", () => {
    expect([...foldedCells(cells, new Set(['h2'])).keys()]).toEqual(['b'])
    expect([...foldedCells(cells, new Set(['h1'])).entries()]).toEqual([
      ['a', 'h1'],
      ['h2', 'h1'],
      ['b', 'h1'],
      ['h2b', 'h1'],
      ['c', 'h1']
    ])
    expect(foldedCells(cells, new Set()).size).toBe(0)
  })

  it('names the outermost collapsed heading, and ignores ids that are no heading', () => {
    const hidden = foldedCells(cells, new Set(['h1', 'h2', 'a', 'h1b']))
    expect(hidden.get('b')).toBe('h1')
    expect(hidden.get('d')).toBe('h1b')
    expect(hidden.has('h1b')).toBe(false)
  })

  it('finds the heading that holds a cell', () => {
    const levels = cells.map((cell) => cell.level)
    expect(parentHeading(levels, 3)).toBe(2) // b: under h2
    expect(parentHeading(levels, 2)).toBe(0) // h2: under h1
    expect(parentHeading(levels, 4)).toBe(0) // h2b: under h1, not h2
    expect(parentHeading(levels, 0)).toBe(-1)
    expect(parentHeading(levels, 6)).toBe(-1) // h1b: nothing above its level
  })
})

class MemoryStore implements SettingStore {
  readonly items = new Map<string, string>()
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value)
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
}

describe('LineNumbers', () => {
  it("is this browser's setting: off at first, remembered for the next page", () => {
    const store = new MemoryStore()
    const shown: boolean[] = []
    const first = new LineNumbers(store, (on) => shown.push(on))
    expect(first.shown).toBe(false)
    expect(first.toggle()).toBe(true)
    expect(store.items.get(LINE_NUMBERS_KEY)).toBe('1')
    const next = new LineNumbers(store, (on) => shown.push(on))
    expect(next.shown).toBe(true)
    expect(next.toggle()).toBe(false)
    expect(store.items.has(LINE_NUMBERS_KEY)).toBe(false)
    expect(shown).toEqual([false, true, true, false])
  })

  it('works for the page alone where storage is turned off', () => {
    const broken: SettingStore = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('SecurityError')
      },
      removeItem: () => {
        throw new Error('SecurityError')
      }
    }
    const numbers = new LineNumbers(broken, () => {})
    expect(numbers.shown).toBe(false)
    expect(numbers.toggle()).toBe(true)
    expect(new LineNumbers(null, () => {}).toggle()).toBe(true)
  })
})

describe('hidesOutputs', () => {
  it('hides unless every chosen cell is hidden already (then O shows them again)', () => {
    expect(hidesOutputs(new Set(), ['a', 'b'])).toBe(true)
    expect(hidesOutputs(new Set(['a']), ['a', 'b'])).toBe(true)
    expect(hidesOutputs(new Set(['a', 'b']), ['a', 'b'])).toBe(false)
    expect(hidesOutputs(new Set(['a']), [])).toBe(false)
  })
})
