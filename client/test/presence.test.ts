import { describe, expect, it } from 'vitest'

import { activeColors, strayCursorRules } from '../src/editor/cursorLabels'
import { groupByPerson, initials, inkOn, isColor, participantsByCell, participantsFrom, scrubStyleColours } from '../src/panels/presence'

describe('participants', () => {
  const states = new Map<number, Record<string, unknown>>([
    [7, { user: { id: 'u-b', name: 'Bob', color: '#3cb44b', role: 'viewer' }, cell: 'c2', mode: 'command' }],
    [3, { user: { id: 'owner', name: 'Owner', color: '#911eb4', role: 'owner' }, cell: 'c1', mode: 'edit' }],
    [5, { user: { id: 'u-a', name: 'Ada', color: 'red; background: url(x)' }, cell: 'c1' }],
    [9, {}]
  ])

  it('lists you first, then by name, skipping states without a user', () => {
    const people = participantsFrom(states, 3)
    expect(people.map((p) => [p.name, p.self])).toEqual([
      ['Owner', true],
      ['Ada', false],
      ['Bob', false]
    ])
    expect(people[1]?.color).toBe('#6b7280') // an unsafe color is replaced
    expect(people[2]?.role).toBe('viewer')
    expect(people[0]?.mode).toBe('edit')
  })

  it('groups the others by the cell they are in', () => {
    const byCell = participantsByCell(participantsFrom(states, 3))
    expect(byCell.get('c1')?.map((p) => p.name)).toEqual(['Ada'])
    expect(byCell.get('c2')?.map((p) => p.name)).toEqual(['Bob'])
  })

  it('makes initials and readable ink for avatars', () => {
    expect(initials('Grace Brewster Hopper')).toBe('GH')
    expect(initials('ada')).toBe('A')
    expect(initials('  ')).toBe('?')
    expect(inkOn('#42d4f4')).toBe('#1d2330')
    expect(inkOn('#000075')).toBe('#ffffff')
    expect(isColor('#abc')).toBe(true)
    expect(isColor('red')).toBe(false)
  })

  it('shows cursor labels only for people who moved recently', () => {
    const moved = new Map([
      [1, { at: 0, color: '#111111' }],
      [2, { at: 3500, color: '#222222' }]
    ])
    expect(activeColors(moved, 4500, 4000)).toEqual(['#222222'])
    expect(activeColors(moved, 1000, 4000)).toEqual(['#111111', '#222222'])
  })
})

describe('scrubStyleColours', () => {
  it('drops a peer color that is not a plain color, and keeps the rest', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { user: { name: 'Eve', color: '#ff0000', colorLight: 'red; position: fixed; inset: 0' } }],
      [2, { user: { name: 'Mal', color: 'red;background:url(//evil.test/x)', colorLight: '#ff000033' } }],
      [3, { user: { name: 'Me', colorLight: 'whatever I like' } }],
      [4, { user: 'not an object' }]
    ])
    scrubStyleColours(states, 3)
    expect(states.get(1)).toEqual({ user: { name: 'Eve', color: '#ff0000' } })
    expect(states.get(2)).toEqual({ user: { name: 'Mal', colorLight: '#ff000033' } })
    expect(states.get(3)).toEqual({ user: { name: 'Me', colorLight: 'whatever I like' } })
    expect(states.get(4)).toEqual({ user: 'not an object' })
  })
})

describe('one person, several tabs', () => {
  const states = new Map<number, Record<string, unknown>>([
    [1, { user: { id: 'me', name: 'Me', color: '#911eb4' }, cell: null }],
    [2, { user: { id: 'ada', name: 'Ada', color: '#3cb44b' }, cell: null }],
    [4, { user: { id: 'ada', name: 'Ada', color: '#3cb44b' }, cell: 'c2', mode: 'edit' }],
    [6, { user: { id: 'me', name: 'Me', color: '#911eb4' }, cell: 'c1', mode: 'edit' }]
  ])

  it('are one entry, showing this tab for me and the typing tab for a partner', () => {
    const grouped = groupByPerson(participantsFrom(states, 1))
    expect(grouped.map((g) => [g.tab.name, g.tab.clientId, g.tabs])).toEqual([
      ['Me', 1, 2],
      ['Ada', 4, 2]
    ])
  })

  it('show once in a cell they are in twice', () => {
    const both = new Map(states).set(2, { user: { id: 'ada', name: 'Ada', color: '#3cb44b' }, cell: 'c2' })
    expect(participantsByCell(participantsFrom(both, 1)).get('c2')?.map((p) => p.clientId)).toEqual([4])
  })
})

describe('partners\' carets', () => {
  it('are hidden outside the cells their people are in, and everywhere when in none', () => {
    const rules = strayCursorRules(new Map([['#3cb44b', new Set(['c-2', null])], ['#911eb4', new Set([null])]]))
    expect(rules).toEqual([
      '.cell:not([data-cell-id="c-2"]) :is(.cm-ySelectionCaret, .cm-ySelection, .cm-yLineSelection)[style*="#3cb44b"] { display: none; }',
      '.cell :is(.cm-ySelectionCaret, .cm-ySelection, .cm-yLineSelection)[style*="#911eb4"] { display: none; }'
    ])
  })

  it('never put a peer\'s cell id or color into the style sheet unchecked', () => {
    const rules = strayCursorRules(new Map([['#3cb44b', new Set(['"] { } body { display: none } [x="'])], ['red; }', new Set(['c1'])]]))
    expect(rules).toEqual(['.cell :is(.cm-ySelectionCaret, .cm-ySelection, .cm-yLineSelection)[style*="#3cb44b"] { display: none; }'])
  })
})
