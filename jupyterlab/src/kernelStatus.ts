/** The room's kernel as JupyterLab's kernel status item reads a kernel: a session context's
 * display name and status, following the room's `kernel` map (kernelStatusPlugin.ts puts it
 * in the status bar). Pure but for the room connection it follows. */

import type { ISessionContext } from '@jupyterlab/apputils'
import { Signal } from '@lumino/signaling'
import type * as Y from 'yjs'

import type { RoomConnection } from './room'
import { kernelActivity, KERNEL_MAP } from './runs'
import type { PairbookSession } from './session'

/** JupyterLab's statuses a room kernel's `status` maps onto as it is; others (not started,
 * stopped) follow the kernel's name instead. */
const SHOWN = new Set<string>(['idle', 'busy', 'starting', 'restarting', 'dead'])

export interface KernelDisplay {
  name: string
  status: ISessionContext.KernelDisplayStatus
}

/** What the status bar says of a room kernel: its `kernel` map's display name and status (a
 * run under way is busy, as the toolbar says), or how the room's connection is. Pure. */
export function roomKernelDisplay(doc: Y.Doc | null, connection: string): KernelDisplay {
  if (doc === null) return { name: 'Room kernel', status: 'connecting' }
  const shown = doc.getMap(KERNEL_MAP).get('display_name')
  const name = `Room kernel: ${typeof shown === 'string' && shown !== '' ? shown : 'not chosen yet'}`
  if (connection !== 'connected') return { name, status: connection === 'disconnected' ? 'disconnected' : 'connecting' }
  const { status } = kernelActivity(doc)
  return SHOWN.has(status) ? { name, status: status as ISessionContext.KernelDisplayStatus } : { name: `${name} (${status})`, status: '' }
}

/** The members of a session context JupyterLab's kernel status item reads, for a room
 * notebook: it follows whichever connection the session has for the notebook's path. */
export class RoomKernelContext {
  readonly statusChanged = new Signal<this, string>(this)
  readonly connectionStatusChanged = new Signal<this, string>(this)
  readonly kernelChanged = new Signal<this, unknown>(this)
  /** True: JupyterLab's kernel dialogs (the status item's click, "Select Kernel") leave a
   * room notebook alone; its kernel is the room's, run and restarted through pairbook. */
  readonly isDisposed = true
  private room: RoomConnection | undefined
  private connection = 'connecting'
  private display: KernelDisplay = roomKernelDisplay(null, 'connecting')

  constructor(private readonly path: string) {}

  get kernelDisplayName(): string {
    return this.display.name
  }

  get kernelDisplayStatus(): ISessionContext.KernelDisplayStatus {
    return this.display.status
  }

  /** Follows the session's connection for this notebook (none: waits for one). */
  follow(session: PairbookSession | null): void {
    const room = session?.roomAt(this.path)
    if (room === this.room) return
    this.stop()
    this.room = room
    if (room !== undefined) {
      this.connection = room.provider.wsconnected ? 'connected' : 'connecting'
      room.options.doc.getMap(KERNEL_MAP).observe(this.show)
      room.provider.on('status', this.onStatus)
    }
    this.show()
  }

  dispose(): void {
    this.stop()
    Signal.clearData(this)
  }

  private stop(): void {
    this.room?.options.doc.getMap(KERNEL_MAP).unobserve(this.show)
    this.room?.provider.off('status', this.onStatus)
    this.room = undefined
  }

  private readonly onStatus = ({ status }: { status: string }): void => {
    this.connection = status
    this.show()
  }

  private readonly show = (): void => {
    const before = this.display
    this.display = roomKernelDisplay(this.room?.options.doc ?? null, this.connection)
    // The item reads the name on kernelChanged only, the status on statusChanged.
    if (this.display.name !== before.name) this.kernelChanged.emit(null)
    this.statusChanged.emit(this.display.status)
  }
}
