import { describe, expect, it } from 'vitest'

import { mobView } from '../../src/panels/mobView'

const people = {
  ana: { id: 'ana', name: 'Ana', color: '#e6194b' },
  bo: { id: 'bo', name: 'Bo', color: '#3cb44b' },
  cy: { id: 'cy', name: 'Cy', color: 'not a color' }
}
const mob = {
  mode: 'mob',
  state: 'driving',
  driver: 'ana',
  queue: ['bo', 'cy'],
  people,
  turn: { started: 1000, ends: 1600 },
  settings: { turn_seconds: 600, auto_handover: true, break_every: 3600, grace_seconds: 30 }
}
const editor = (id: string) => ({ id, owner: false, viewer: false })

describe('mob panel', () => {
  it('shows a navigator who drives, the countdown and who is next, and locks their notebook', () => {
    const view = mobView(mob, editor('bo'), 1300)
    expect(view.role).toBe('navigator')
    expect(view.headline).toBe('You are navigating: Ana drives')
    expect(view.label).toBe('Ana drives')
    expect(view.driver).toEqual({ name: 'Ana', color: '#e6194b' })
    expect(view.countdown).toEqual({ text: '5:00 left in this turn', fraction: 0.5 })
    expect(view.next).toEqual([{ name: 'Bo (you)', color: '#3cb44b' }, { name: 'Cy', color: '#6b7280' }])
    expect(view.readOnly).toBe(true)
    expect(view.lock).toContain('Ana is driving')
    expect(view.actions.map((a) => a.command)).toEqual(['mob-take', 'mob-leave'])
    expect(view.modes).toEqual([])
  })

  it('lets the driver type and hand over', () => {
    const view = mobView(mob, editor('ana'), 1300)
    expect(view.role).toBe('driver')
    expect(view.headline).toBe('You are driving')
    expect(view.readOnly).toBe(false)
    expect(view.lock).toBeNull()
    expect(view.actions[0]).toMatchObject({ command: 'mob-handover', label: 'Hand over now', primary: true })
  })

  it('asks the driver to consent to a take request, and tells the others', () => {
    const asked = { ...mob, take_request: { user: 'bo', at: 1200 } }
    const driver = mobView(asked, editor('ana'), 1300).consent
    expect(driver?.text).toBe('Bo asks for the keyboard.')
    expect(driver?.actions.map((a) => [a.label, a.args])).toEqual([['Give it', { accept: true }], ['Not now', { accept: false }]])
    expect(mobView(asked, editor('cy'), 1300).consent).toEqual({ text: 'Bo asked Ana for the keyboard.', actions: [] })
    expect(mobView(asked, editor('bo'), 1300).actions[0]?.label).toBe('Asked…')
  })

  it('lets everyone type in pair mode, and gives the owner the mode switch', () => {
    const view = mobView({ ...mob, mode: 'pair' }, { id: 'bo', owner: true, viewer: false }, 1300)
    expect(view).toMatchObject({ mode: 'pair', role: null, readOnly: false, lock: null, label: '', driver: null, next: [], actions: [] })
    expect(view.modes.map((m) => [m.label, m.args, m.pressed])).toEqual([['Pair', { mode: 'pair' }, true], ['Mob', { mode: 'mob' }, false]])
  })

  it('keeps a viewer read-only in any mode, with no rotation buttons', () => {
    const view = mobView({ mode: 'pair' }, { id: 'vi', owner: false, viewer: true }, 0)
    expect(view.readOnly).toBe(true)
    expect(mobView(mob, { id: 'vi', owner: false, viewer: true }, 1300).actions).toEqual([])
  })

  it('reads a missing or broken map as pair mode', () => {
    expect(mobView(undefined, editor('bo'), 0)).toMatchObject({ mode: 'pair', readOnly: false })
    expect(mobView({ mode: 'mob', driver: 42, queue: 'x' }, editor('bo'), 0)).toMatchObject({ mode: 'mob', role: 'observer', driver: null, readOnly: true })
  })
})
