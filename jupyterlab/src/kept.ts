/** The joined room kept across reloads of JupyterLab (this browser's localStorage for
 * JupyterLab's origin, as pairbook's own page keeps its token for its origin): a reload
 * rejoins it, so the room notebooks JupyterLab restores open again. Only a personal token is
 * kept, never an invite. */

const KEY = 'pairbook.jupyterlab.room'

export interface KeptRoom {
  server: string
  token: string
}

export function keptRoom(storage: Storage | undefined = globalThis.localStorage): KeptRoom | null {
  try {
    const value: unknown = JSON.parse(storage?.getItem(KEY) ?? 'null')
    if (typeof value !== 'object' || value === null) return null
    const { server, token } = value as Record<string, unknown>
    return typeof server === 'string' && typeof token === 'string' ? { server, token } : null
  } catch {
    return null
  }
}

export function keepRoom(room: KeptRoom | null, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    if (room === null) storage?.removeItem(KEY)
    else storage?.setItem(KEY, JSON.stringify(room))
  } catch {
    // Storage refused (private mode, quota): the room is just not kept.
  }
}
