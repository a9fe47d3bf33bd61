/** Waiting for runs the room's kernel queued: their records in pairbook's `executions` map
 * (written only by the server) say when each ended and how. */

import * as Y from 'yjs'

export const EXECUTIONS_MAP = 'executions'
export const KERNEL_MAP = 'kernel'

/** Statuses a run does not leave (docs/kernel.md: queued, running and waiting-input do). */
const FINAL = new Set(['ok', 'error', 'interrupted', 'cancelled', 'dead'])

const plain = (value: unknown): unknown => (value instanceof Y.AbstractType ? value.toJSON() : value)

/** The status of a run's record, or null when the map has none (yet). */
export function runStatus(doc: Y.Doc, id: string): string | null {
  const record = plain(doc.getMap(EXECUTIONS_MAP).get(id))
  if (typeof record !== 'object' || record === null) return null
  const status = (record as { status?: unknown }).status
  return typeof status === 'string' ? status : null
}

/** Resolves when every run in `ids` has ended: true if all ended `ok`. `stop` resolves it
 * early with false (the connection closed for good, the notebook closed). */
export function waitForRuns(doc: Y.Doc, ids: string[], stop: Promise<unknown>): Promise<boolean> {
  const executions = doc.getMap(EXECUTIONS_MAP)
  return new Promise((resolve) => {
    const check = (): boolean => {
      const statuses = ids.map((id) => runStatus(doc, id))
      if (!statuses.every((status) => status !== null && FINAL.has(status))) return false
      finish(statuses.every((status) => status === 'ok'))
      return true
    }
    const finish = (ok: boolean): void => {
      executions.unobserve(check)
      resolve(ok)
    }
    if (check()) return
    executions.observe(check)
    void stop.then(
      () => finish(false),
      () => finish(false)
    )
  })
}

/** The room kernel's status (`kernel.status`: not started, starting, idle, busy, …). */
export function kernelStatus(doc: Y.Doc): string {
  const status = plain(doc.getMap(KERNEL_MAP).get('status'))
  return typeof status === 'string' ? status : 'not started'
}

/** What the room's kernel is doing, in words, as the browser client's kernel panel says it:
 * the run it is busy with (`kernel.current`) comes first, whatever `status` says (a first run
 * starts the kernel: the status says starting until it ends). */
export function kernelActivity(doc: Y.Doc): { status: string; text: string } {
  const current = plain(doc.getMap(KERNEL_MAP).get('current')) as
    | { status?: unknown; user?: { name?: unknown } }
    | null
    | undefined
  const name = typeof current?.user?.name === 'string' ? current.user.name : null
  if (current && name !== null) {
    const waiting = current.status === 'waiting-input'
    return { status: 'busy', text: waiting ? `waiting for ${name}'s input` : `running for ${name}` }
  }
  const status = kernelStatus(doc)
  return { status, text: status }
}
