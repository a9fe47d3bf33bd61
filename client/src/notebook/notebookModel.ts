/** The page's shared notebook model: @jupyter/ydoc's `YNotebook`, reading a `meta.metadata`
 * that is not a map (a log from before the server refused one) as empty metadata. Stock,
 * `getMetadata` then throws ('toJSON is not a function', 'get is not a function'), from
 * @jupyter/ydoc's own observer as the document arrives and from every reader after. */

import { YNotebook } from '@jupyter/ydoc'
import * as Y from 'yjs'

export function newNotebook(): YNotebook {
  const notebook = new YNotebook()
  const hasMap = (): boolean => notebook.ymeta.get('metadata') instanceof Y.Map
  const getMetadata = notebook.getMetadata.bind(notebook)
  const setMetadata = notebook.setMetadata.bind(notebook)
  // Own properties shadow the prototype's methods, which @jupyter/ydoc calls through `this`.
  notebook.getMetadata = ((key?: string) => {
    if (hasMap()) return getMetadata(key as string)
    return typeof key === 'string' ? undefined : {}
  }) as YNotebook['getMetadata']
  notebook.setMetadata = ((...args: Parameters<YNotebook['setMetadata']>) => {
    if (hasMap() || typeof args[0] !== 'string') setMetadata(...args)
  }) as YNotebook['setMetadata']
  return notebook
}
