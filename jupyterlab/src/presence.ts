/** Where this person is in a room notebook, for the others' "People here": the awareness
 * fields pairbook's browser client publishes too (`cell`: the active cell's id, `mode`:
 * `edit` or `command`; client/src/panels/presence.ts reads them). */

import type { YNotebook } from '@jupyter/ydoc'
import type { NotebookPanel } from '@jupyterlab/notebook'

export function publishPlace(panel: NotebookPanel): void {
  const notebook = panel.content
  const awareness = (panel.context.model.sharedModel as YNotebook).awareness
  const publish = (): void => {
    if (notebook.isDisposed) return
    awareness.setLocalStateField('cell', notebook.activeCell?.model.id ?? null)
    awareness.setLocalStateField('mode', notebook.mode === 'edit' ? 'edit' : 'command')
  }
  notebook.activeCellChanged.connect(publish)
  notebook.stateChanged.connect((_, change) => {
    if (change.name === 'mode') publish()
  })
  void panel.context.ready.then(publish)
}
