import { describe, expect, it } from 'vitest'

import { cellPlaces, kernelStateView, MAX_ROWS } from '../../src/panels/kernelState'

const ana = { id: 'ana', name: 'Ana', color: '#e6194b' }
const bo = { id: 'bo', name: 'Bo', color: '#3cb44b' }
const prov = (cell: string, user: object, at: number, author: object | null = null) => ({ execution: 'r', cell, count: 1, user, author, at })

const kernel = {
  status: 'idle',
  variables: {
    df: { type: 'pandas.core.frame.DataFrame', summary: 'DataFrame 3×2', shape: [3, 2], created: prov('c2', bo, 5, ana), changed: prov('c2', bo, 5, ana) },
    x: { type: 'int', summary: '1', created: prov('c1', ana, 1), changed: prov('c3', bo, 9) },
    ghost: { type: 'str', summary: "'a'", created: prov('gone', ana, 2), changed: null },
    junk: 'not a record'
  },
  analysis: { skipped: 0, hidden: [{ name: 'ghost', cell: 'gone', reason: 'deleted', by: bo }] },
  packages: [{ name: 'pandas', version: '2.2.3', modules: ['pandas'] }, { name: 'tqdm', modules: ['tqdm'] }]
}

describe('kernel-state panel', () => {
  const places = cellPlaces(['c1', 'c2', 'c3'])

  it('lists each name with its type, the cell that defined it and who ran it, in cell order', () => {
    const view = kernelStateView(kernel, places)
    expect(view.count).toBe('(3)')
    expect(view.rows.map((r) => [r.name, r.type, r.where, r.ranBy?.name])).toEqual([
      ['x', 'int', 'cell 1', 'Ana'],
      ['df', 'DataFrame', 'cell 2', 'Bo'],
      ['ghost', 'str', 'a deleted cell', 'Ana']
    ])
    expect(view.rows[0]?.changedBy).toEqual({ name: 'Bo', color: '#3cb44b' })
  })

  it('credits the author of a cell someone else ran', () => {
    const df = kernelStateView(kernel, places).rows.find((r) => r.name === 'df')
    expect(df?.wroteBy).toEqual({ name: 'Ana', color: '#e6194b' })
    expect(df?.fullType).toBe('pandas.core.frame.DataFrame')
    expect(kernelStateView(kernel, places).rows.find((r) => r.name === 'x')?.wroteBy).toBeNull()
  })

  it('says what is hidden and which packages were imported', () => {
    const view = kernelStateView(kernel, places)
    expect(view.hidden).toEqual(['ghost: its cell was deleted by Bo'])
    expect(view.packages).toBe('pandas 2.2.3, tqdm')
  })

  it('filters by name or type', () => {
    expect(kernelStateView(kernel, places, 'DATAframe').rows.map((r) => r.name)).toEqual(['df'])
    expect(kernelStateView(kernel, places, ' x ').rows.map((r) => r.name)).toEqual(['x'])
  })

  it('is empty for a kernel map without a view, and cuts a huge namespace short', () => {
    expect(kernelStateView(null, places)).toEqual({ count: '(0)', rows: [], hidden: [], packages: '' })
    const variables = Object.fromEntries(Array.from({ length: MAX_ROWS + 5 }, (_, i) => [`v${i}`, { type: 'int', summary: '0', created: null }]))
    const view = kernelStateView({ variables, analysis: { skipped: 1000 } }, places)
    expect(view.rows).toHaveLength(MAX_ROWS)
    expect(view.count).toBe('(305 shown of 1,305)')
  })

  it('never puts an unsafe color in a style', () => {
    const evil = { variables: { y: { type: 'int', summary: '2', created: prov('c1', { name: 'Eve', color: 'red;x' }, 1) } } }
    expect(kernelStateView(evil, places).rows[0]?.ranBy).toEqual({ name: 'Eve', color: '#8a93a6' })
  })
})
