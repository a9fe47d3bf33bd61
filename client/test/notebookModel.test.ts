import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'

import { newNotebook } from '../src/notebook/notebookModel'

/** An update setting `meta.metadata` to `value`, as any Yjs client can write. */
function metadataUpdate(value: unknown): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('meta').set('metadata', value)
  return Y.encodeStateAsUpdate(doc)
}

describe('the page notebook model', () => {
  it('reads a meta.metadata that is not a map as empty metadata, also as it arrives', () => {
    const notebook = newNotebook()
    expect(() => Y.applyUpdate(notebook.ydoc, metadataUpdate(5))).not.toThrow()
    expect(notebook.getMetadata()).toEqual({})
    expect(notebook.getMetadata('jupytext')).toBeUndefined()
    expect(notebook.metadata).toEqual({})
    expect(() => notebook.setMetadata('jupytext', { formats: 'ipynb' })).not.toThrow()
  })

  it('reads and writes a metadata map as @jupyter/ydoc does', () => {
    const notebook = newNotebook()
    Y.applyUpdate(notebook.ydoc, metadataUpdate(new Y.Map([['language', 'python']])))
    expect(notebook.getMetadata('language')).toBe('python')
    notebook.setMetadata('jupytext', { formats: 'ipynb' })
    expect(notebook.getMetadata()).toEqual({ language: 'python', jupytext: { formats: 'ipynb' } })
  })
})
