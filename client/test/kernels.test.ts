import { describe, expect, it } from 'vitest'

import { kernelChoices } from '../src/kernel/kernels'

describe('kernelChoices', () => {
  it('lists installed kernels by display name with the current one', () => {
    expect(kernelChoices({ kernels: { python3: 'Python 3 (ipykernel)', ir: 'R' }, current: 'python3' })).toEqual({
      choices: [
        { name: 'python3', displayName: 'Python 3 (ipykernel)' },
        { name: 'ir', displayName: 'R' }
      ],
      current: 'python3'
    })
  })

  it('keeps a current kernel that is no longer installed, and names without a display name', () => {
    expect(kernelChoices({ kernels: { a: '' }, current: 'gone' })).toEqual({
      choices: [
        { name: 'a', displayName: 'a' },
        { name: 'gone', displayName: 'gone' }
      ],
      current: 'gone'
    })
    expect(kernelChoices({ kernels: {}, current: null })).toEqual({ choices: [], current: null })
  })

  it('refuses other shapes', () => {
    expect(kernelChoices(null)).toBeNull()
    expect(kernelChoices([])).toBeNull()
    expect(kernelChoices({ kernels: ['python3'] })).toBeNull()
    expect(kernelChoices({ current: 'python3' })).toBeNull()
  })
})
