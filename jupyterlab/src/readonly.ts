/** Editing locked where the server would refuse it: a viewer's room notebook (and, for the
 * mob panel, a navigator's) is read-only in JupyterLab too, so nothing is typed that the room
 * then refuses. The server enforces the roles anyway; a refused edit is said, not hidden. */

import { Notification } from '@jupyterlab/apputils'
import type { NotebookPanel } from '@jupyterlab/notebook'

import { lockCell } from './panels/notebookLock'
import type { RoomConnection } from './room'

const locked = new WeakMap<NotebookPanel, boolean>()

/** Makes every cell of `panel` read-only (or editable again), new cells included. */
export function lockEditing(panel: NotebookPanel, readOnly: boolean): void {
  const first = !locked.has(panel)
  locked.set(panel, readOnly)
  const apply = (): void => {
    if (panel.isDisposed) return
    const now = locked.get(panel) ?? false
    for (const cell of panel.content.widgets) lockCell(cell, now)
  }
  apply()
  if (first) {
    // Cells come and go with the shared document: each new one gets the same lock.
    panel.content.model?.cells.changed.connect(() => requestAnimationFrame(apply))
    void panel.context.ready.then(apply)
  }
}

/** Tells the person, once per connection, when the room refused one of their edits. */
export function sayRefusedEdits(room: RoomConnection): void {
  let said = false
  room.editRefused.connect((_, reason) => {
    if (said) return
    said = true
    Notification.warning(`pairbook refused an edit: ${reason || 'permission denied'}`, { autoClose: 8000 })
  })
}
