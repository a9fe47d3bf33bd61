import { describe, expect, it } from 'vitest'
import { listDirectory, notebookModel } from '../src/listing'

const entries = [
  { path: 'b.ipynb', name: 'b.ipynb' },
  { path: 'a.ipynb', name: 'a.ipynb' },
  { path: 'work/deep/x.ipynb', name: 'x.ipynb' },
  { path: 'work/y.ipynb', name: 'y.ipynb' },
  { path: 'broken.ipynb', name: 'broken.ipynb', error: 'not JSON' }
]

describe('listDirectory', () => {
  it('lists the root: folders first, then notebooks by name, broken ones left out', () => {
    const root = listDirectory(entries, '', true)
    expect(root?.type).toBe('directory')
    expect(root?.content.map((m: { path: string; type: string }) => [m.type, m.path])).toEqual([
      ['directory', 'work'],
      ['notebook', 'a.ipynb'],
      ['notebook', 'b.ipynb']
    ])
  })

  it('lists a subfolder by its path', () => {
    const work = listDirectory(entries, 'work', false)
    expect(work?.content.map((m: { path: string }) => m.path)).toEqual(['work/deep', 'work/y.ipynb'])
    expect(work?.content[1].writable).toBe(false)
  })

  it('says null for a folder that holds no notebook (a name prefix is not a folder)', () => {
    expect(listDirectory(entries, 'nothing', true)).toBeNull()
    expect(listDirectory(entries, 'wor', true)).toBeNull()
  })

  it('gives a notebook without content: the document comes over the websocket', () => {
    expect(notebookModel('work/y.ipynb', true)).toMatchObject({
      name: 'y.ipynb',
      type: 'notebook',
      format: 'json',
      content: null
    })
  })
})
