/** Partners' cursors and selections in a room notebook's cell editors, and this person's
 * sent to them: y-codemirror.next's remote selections over the room's awareness, the same
 * `cursor` field (relative positions in the cell's source) pairbook's browser client uses,
 * coloured and named as the server stamps each person. JupyterLab's own binding keeps
 * syncing the text; this adds only the selections. */

import type { YBaseCell } from '@jupyter/ydoc'
import { EditorExtensionRegistry, type IEditorExtensionRegistry } from '@jupyterlab/codemirror'
import { yRemoteSelections, yRemoteSelectionsTheme, ySyncFacet, YSyncConfig } from 'y-codemirror.next'
import type * as Y from 'yjs'

type Factory = Parameters<IEditorExtensionRegistry['addExtension']>[0]

/** The extension for editors of cells in a room notebook (`isRoom` says which docs are). */
export function remoteCursors(isRoom: (doc: Y.Doc) => boolean): Factory {
  return {
    name: 'pairbook:remote-cursors',
    factory: ({ model }) => {
      const cell = model.sharedModel as unknown as Partial<YBaseCell<never>>
      const notebook = cell.notebook
      if (notebook == null || cell.ysource === undefined || !isRoom(notebook.ydoc)) return null
      return EditorExtensionRegistry.createImmutableExtension([
        ySyncFacet.of(new YSyncConfig(cell.ysource, notebook.awareness)),
        yRemoteSelectionsTheme,
        yRemoteSelections
      ])
    }
  }
}
