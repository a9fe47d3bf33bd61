/** The shared document's schema as pairbook/schema.py declares it: the top-level names
 * (jupyter_ydoc's `cells` and `meta`, and the maps only the server writes) and the one user
 * shape. spec/protocol.json lists the names; a test holds the two sides equal. */

export const DocMap = {
  CELLS: 'cells',
  META: 'meta',
  PAIRBOOK_MAP: 'pairbook',
  KERNEL_MAP: 'kernel',
  EXECUTIONS_MAP: 'executions',
  MOB_MAP: 'mob',
  RECORDING_MAP: 'recording',
  WIDGETS_MAP: 'widgets',
  CHECK_MAP: 'check'
} as const

/** Every author id the server writes under starts so (the file, the disk, its services). */
export const SERVER_AUTHOR_PREFIX = 'pairbook:'

/** Whether a change's author is the server itself rather than a person. */
export function isServerAuthor(userId: string): boolean {
  return userId.startsWith(SERVER_AUTHOR_PREFIX)
}

/** A person as every page shows them (`UserRecord`): presence, runs, chat, the mob, replay. */
export interface UserRecord {
  id: string
  name: string
  color: string
}
