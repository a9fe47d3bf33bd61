/** What the page says about the notebook's file on disk: a conflict, a save or reload, and
 * the .py twin refused or merged (events the room sends). */

import type { CommandEvent } from '../commands'
import type { Banner } from '../panels/status'

/** Shows a file event in the banner (or as a toast); other events are left alone. */
export function showFileEvent(event: CommandEvent, banner: Banner, notify: (message: string) => void): void {
  if (event.event === 'file-conflict') banner.add('file-conflict', 'error', String(event.message ?? 'The file changed on disk and in the room.'), null)
  else if (event.event === 'file-saved' || event.event === 'file-reloaded') banner.clear('file-conflict')
  else if (event.event === 'twin-refused') banner.add('twin-refused', 'warning', `The .py twin was not written: ${String(event.message ?? 'its pairing names another file')}.`, null)
  else if (event.event === 'twin-merged') notify(`${String(event.file)} was edited on disk: merged into the notebook.`)
}
