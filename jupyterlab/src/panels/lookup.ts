/** Which JupyterLab notebooks are pairbook rooms' notebooks, from the extension's core
 * (`IPairbook`): a notebook of the `pairbook:` drive is bound to the room at its path. */

import type { NotebookPanel } from '@jupyterlab/notebook'
import { Signal, type ISignal } from '@lumino/signaling'

import type { RoomConnection } from '../room'
import type { PairbookSession } from '../session'
import type { IPairbook } from '../tokens'
import { type PanelRoom, viewerOf } from './room'

/** How the panels learn which notebooks are rooms' notebooks. */
export interface RoomLookup {
  /** The room this notebook is bound to, or null (a local notebook). */
  roomOf(panel: NotebookPanel): PanelRoom | null
  /** Emitted with a room's path (in the drive: `pairbook:<path>`) when its notebook was
   * bound to it again, or another room was joined (null: look at every notebook again). */
  readonly roomChanged: ISignal<RoomLookup, string | null>
}

/** The panels' view of a room connection. */
export function panelRoom(session: PairbookSession, room: RoomConnection): PanelRoom {
  return {
    doc: room.options.doc,
    server: session.server,
    path: room.options.path,
    me: () => viewerOf(session.me),
    request: (command, args) => room.command(command, args)
  }
}

export class PairbookRooms implements RoomLookup {
  private readonly changed = new Signal<RoomLookup, string | null>(this)
  private readonly cache = new WeakMap<RoomConnection, PanelRoom>()
  private session: PairbookSession | null = null

  constructor(private readonly pairbook: IPairbook) {
    pairbook.sessionChanged.connect((_, session) => this.follow(session))
    this.follow(pairbook.session)
  }

  get roomChanged(): ISignal<RoomLookup, string | null> {
    return this.changed
  }

  roomOf(panel: NotebookPanel): PanelRoom | null {
    const prefix = `${this.pairbook.driveName}:`
    const session = this.pairbook.session
    if (session === null || !panel.context.path.startsWith(prefix)) return null
    const room = session.roomAt(panel.context.path.slice(prefix.length))
    if (room === undefined) return null
    let known = this.cache.get(room)
    if (known === undefined) this.cache.set(room, (known = panelRoom(session, room)))
    return known
  }

  private follow(session: PairbookSession | null): void {
    this.session?.roomOpened.disconnect(this.onRoom, this)
    this.session = session
    session?.roomOpened.connect(this.onRoom, this)
    this.changed.emit(null)
  }

  private onRoom(_: PairbookSession, room: RoomConnection): void {
    this.changed.emit(`${this.pairbook.driveName}:${room.options.path}`)
  }
}
