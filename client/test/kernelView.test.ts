import { describe, expect, it } from 'vitest'

import { cellWarnings, hiddenText, parseAnalysis, parseVariables, sizeText, sortVariables, warningText } from '../src/state/kernelView'

const ana = { id: 'ana', name: 'Ana' }
const bo = { id: 'bo', name: 'Bo' }
const prov = (cell: string, user: object, at: number) => ({ execution: 'r', cell, count: 1, user, at })

describe('kernel view', () => {
  const vars = parseVariables({
    b: { type: 'int', summary: '2', created: prov('c1', bo, 2), changed: prov('c1', bo, 2) },
    a: { type: 'numpy.ndarray', summary: 'array', shape: [3, 4], dtype: 'float32', nbytes: 48, created: prov('c0', ana, 1), changed: prov('c2', bo, 5) },
    junk: 'not a record',
    orphan: { type: 'int', summary: '1', created: null, changed: null }
  })

  it('parses records and drops junk', () => {
    expect(vars.map((v) => v.name)).toEqual(['b', 'a', 'orphan'])
    expect(vars[1].changed?.user.name).toBe('Bo')
    expect(vars[2].created).toBeNull()
  })

  it('sorts by name, by defining cell and by last change', () => {
    const position = (cell: string) => Number(cell.slice(1))
    expect(sortVariables(vars, 'name', true, position).map((v) => v.name)).toEqual(['a', 'b', 'orphan'])
    expect(sortVariables(vars, 'defined', true, position).map((v) => v.name)).toEqual(['a', 'b', 'orphan'])
    expect(sortVariables(vars, 'changed', false, position).map((v) => v.name)).toEqual(['a', 'b', 'orphan'])
  })

  it('describes sizes', () => {
    expect(sizeText(vars[1])).toBe('3×4 · float32 · 48 B')
    expect(sizeText({ ...vars[1], summary: 'array 3×4 float32' })).toBe('48 B')
  })

  it('words warnings and hidden state with the people involved', () => {
    const describe = (cell: string) => `cell ${Number(cell.slice(1)) + 1}`
    const analysis = parseAnalysis({
      warnings: { c1: [{ kind: 'stale', name: 'x', cell: 'c2', by: bo }, { kind: 'out-of-order', name: 'y', cell: 'c3', reason: 'below', by: ana }] },
      hidden: [{ name: 'tmp', cell: 'c0', reason: 'edited', by: bo }, { name: 'base', cell: 'c9', reason: 'deleted', by: null }]
    })
    const [stale, order] = analysis.warnings.c1
    expect(warningText(stale, describe)).toBe('Stale: x was changed in cell 3 by Bo after this ran')
    expect(warningText(order, describe)).toBe('Out of order: uses y from cell 4, below this cell')
    expect(hiddenText(analysis.hidden[0], describe)).toBe('tmp: cell 1 was edited by Bo and no longer defines it')
    expect(hiddenText(analysis.hidden[1], describe)).toBe('base: its cell was deleted')
    expect(parseAnalysis(null)).toEqual({ skipped: 0, cells: {}, warnings: {}, hidden: [] })
    expect(parseAnalysis({ skipped: 5 }).skipped).toBe(5)
  })

  it('gathers each cell\'s badges: its warnings, an edit only when someone else edited, then hidden names', () => {
    const describe = (cell: string) => `cell ${Number(cell.slice(1)) + 1}`
    const analysis = parseAnalysis({
      warnings: {
        c1: [{ kind: 'stale', name: 'x', cell: 'c2', by: bo }, { kind: 'unrun-edit', by: ana, ran_by: ana }],
        c2: [{ kind: 'unrun-edit', by: bo, ran_by: ana }]
      },
      hidden: [{ name: 'tmp', cell: 'c1', reason: 'edited', by: bo }, { name: 'base', cell: null, reason: 'unknown', by: null }]
    })
    const badges = cellWarnings(analysis, describe)
    expect(badges.get('c1')).toEqual([
      { kind: 'stale', text: 'Stale: x was changed in cell 3 by Bo after this ran' },
      { kind: 'hidden', text: 'Hidden state: tmp: cell 2 was edited by Bo and no longer defines it' }
    ])
    expect(badges.get('c2')).toEqual([{ kind: 'unrun-edit', text: 'Edited by Bo since Ana ran it: its output is from the old source' }])
    expect([...badges.keys()]).toEqual(['c1', 'c2'])
  })
})
