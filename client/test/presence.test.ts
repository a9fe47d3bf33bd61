import { describe, expect, it } from 'vitest'

import { activeColors } from '../src/editor/cursorLabels'
import { initials, inkOn, isColor, participantsByCell, participantsFrom, scrubStyleColours } from '../src/panels/presence'

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
