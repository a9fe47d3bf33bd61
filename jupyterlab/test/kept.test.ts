import { describe, expect, it } from 'vitest'

import { keepRoom, keptRoom } from '../src/kept'

function storage(): Storage {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value)
  }
}

describe('the kept room', () => {
  it('is kept and forgotten', () => {
    const store = storage()
    expect(keptRoom(store)).toBeNull()
    keepRoom({ server: 'http://pb:8888', token: 't' }, store)
    expect(keptRoom(store)).toEqual({ server: 'http://pb:8888', token: 't' })
    keepRoom(null, store)
    expect(keptRoom(store)).toBeNull()
  })

  it('is nothing when what is stored is not one', () => {
    const store = storage()
    for (const junk of ['{', '[]', '"x"', '{"server": 1, "token": "t"}']) {
      store.setItem('pairbook.jupyterlab.room', junk)
      expect(keptRoom(store)).toBeNull()
    }
  })

  it('is not kept, without an error, where storage refuses', () => {
    const refusing = { ...storage(), setItem: () => { throw new Error('quota') } } as Storage
    expect(() => keepRoom({ server: 's', token: 't' }, refusing)).not.toThrow()
  })
})
