/** The pairbook room JupyterLab has joined: the server, the person's token and grant, and
 * the live connection of each notebook open from it. */

import { Signal, type ISignal } from '@lumino/signaling'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import { apiAt, type Api, type Me, type NotebookEntry } from './api'
import { RoomConnection } from './room'

export class PairbookSession {
  readonly api: Api
  private readonly byDoc = new WeakMap<Y.Doc, RoomConnection>()
  private readonly byPath = new Map<string, RoomConnection>()
  private readonly opened = new Signal<this, RoomConnection>(this)

  constructor(
    readonly server: string,
    readonly token: string,
    readonly me: Me
  ) {
    this.api = apiAt(server, token)
  }

  /** Binds a notebook's shared document to its room (the drive calls it when JupyterLab
   * creates the shared model); the connection ends when `close` is called for the doc. */
  connect(path: string, doc: Y.Doc, awareness: Awareness): RoomConnection {
    const room = new RoomConnection({ server: this.server, ticket: () => this.api.ticket(), path, doc, awareness })
    if (this.me.user !== null) {
      const { name, color } = this.me.user
      // What the server would stamp anyway: JupyterLab shows it until the first echo.
      awareness.setLocalStateField('user', { ...this.me.user, display_name: name, username: name, color })
    }
    this.byDoc.set(doc, room)
    this.byPath.get(path)?.destroy()
    this.byPath.set(path, room)
    this.opened.emit(room)
    return room
  }

  close(path: string, doc: Y.Doc): void {
    const room = this.byDoc.get(doc)
    if (room === undefined) return
    room.destroy()
    this.byDoc.delete(doc)
    if (this.byPath.get(path) === room) this.byPath.delete(path)
  }

  /** The room connection of a notebook's document, or undefined for other notebooks. */
  roomOf(doc: Y.Doc): RoomConnection | undefined {
    return this.byDoc.get(doc)
  }

  roomAt(path: string): RoomConnection | undefined {
    return this.byPath.get(path)
  }

  /** Emitted for each notebook connected to the room. */
  get roomOpened(): ISignal<this, RoomConnection> {
    return this.opened
  }

  notebooks(): Promise<NotebookEntry[]> {
    return this.api.notebooks()
  }

  dispose(): void {
    for (const room of this.byPath.values()) room.destroy()
    this.byPath.clear()
    Signal.clearData(this)
  }
}
