/** The "pairbook" drive: the joined room's notebooks in JupyterLab's contents API, opened as
 * collaborative documents (like jupyter-collaboration's drive): the shared model factory
 * makes a YNotebook and binds it to the room; `get` never sends content, it waits for the
 * document to sync instead, and `save` is the server's (pairbook autosaves). */

import { YNotebook, type ISharedDocument } from '@jupyter/ydoc'
import { Contents, ServerConnection } from '@jupyterlab/services'
import { Signal, type ISignal } from '@lumino/signaling'

import { listDirectory, notebookModel } from './listing'
import type { PairbookSession } from './session'
import { neverTrusted } from './untrusted'

export const DRIVE_NAME = 'pairbook'

/** A path without this drive's `pairbook:` prefix. */
export function localPathOf(path: string): string {
  return path.startsWith(`${DRIVE_NAME}:`) ? path.slice(DRIVE_NAME.length + 1) : path
}

export class NoRoomError extends Error {
  constructor() {
    super('no pairbook room is open: run "Open pairbook room…" with the room\'s link first')
  }
}

class RoomModelFactory implements Contents.ISharedFactory {
  readonly collaborative = true

  constructor(private readonly drive: PairbookDrive) {}

  createNew(options: Contents.ISharedFactoryOptions): ISharedDocument | undefined {
    if (options.contentType !== 'notebook') return undefined
    // The context names the document by its full path (`pairbook:dir/x.ipynb`).
    const path = localPathOf(options.path)
    const notebook = new YNotebook()
    neverTrusted(notebook) // before JupyterLab builds its cell models on it
    const bind = (session: PairbookSession | null): void => {
      if (session === null || notebook.isDisposed) return
      session.connect(path, notebook.ydoc, notebook.awareness)
      notebook.disposed.connect(() => session.close(path, notebook.ydoc))
    }
    // A notebook JupyterLab restores after a reload may come before the kept room is
    // rejoined: it is bound once it is (and `get` waits for the same).
    if (this.drive.session !== null) bind(this.drive.session)
    else void this.drive.joined.then(bind)
    return notebook
  }
}

export class PairbookDrive implements Contents.IDrive {
  readonly name = DRIVE_NAME
  readonly serverSettings = ServerConnection.makeSettings()
  readonly sharedModelFactory: Contents.ISharedFactory = new RoomModelFactory(this)
  private readonly changed = new Signal<Contents.IDrive, Contents.IChangedArgs>(this)
  private current: PairbookSession | null = null
  private joining: Promise<PairbookSession | null> = Promise.resolve(null)
  private disposed = false

  get session(): PairbookSession | null {
    return this.current
  }

  /** Switches the drive to another room (null: none); the old one's connections end. */
  set session(session: PairbookSession | null) {
    this.current?.dispose()
    this.current = session
  }

  /** A room being joined (a reload rejoining the kept one): requests wait for it. */
  waitFor(joining: Promise<PairbookSession | null>): void {
    this.joining = joining.catch(() => null)
  }

  /** Resolves with the room being joined (null if none or it failed). */
  get joined(): Promise<PairbookSession | null> {
    return this.joining
  }

  get fileChanged(): ISignal<Contents.IDrive, Contents.IChangedArgs> {
    return this.changed
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  dispose(): void {
    this.disposed = true
    this.session = null
    Signal.clearData(this)
  }

  async get(localPath: string, options?: Contents.IFetchOptions): Promise<Contents.IModel> {
    await this.joining
    const session = this.requireSession()
    const writable = session.me.role !== 'viewer'
    if (localPath.endsWith('.ipynb') && options?.type !== 'directory') {
      const room = session.roomAt(localPath)
      // The context asks for the content when it opens the document: the room's document is
      // it, so answer once synced, with no content (which would overwrite the shared one).
      if (room !== undefined) await room.ready
      else if (options?.content) throw new Error(`${localPath} opens from the room only as a collaborative notebook`)
      return notebookModel(localPath, writable)
    }
    const listing = listDirectory(await session.notebooks(), localPath, writable)
    if (listing === null) throw new Error(`no folder ${localPath} with notebooks in this room`)
    return listing
  }

  async save(localPath: string): Promise<Contents.IModel> {
    // pairbook writes the .ipynb from the room's document itself (autosave).
    return notebookModel(localPath, this.requireSession().me.role !== 'viewer')
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    return this.refuse('download', localPath)
  }

  async newUntitled(): Promise<Contents.IModel> {
    return this.refuse('create notebooks in', '')
  }

  async delete(localPath: string): Promise<void> {
    return this.refuse('delete', localPath)
  }

  async rename(oldLocalPath: string): Promise<Contents.IModel> {
    return this.refuse('rename', oldLocalPath)
  }

  async copy(localPath: string): Promise<Contents.IModel> {
    return this.refuse('copy', localPath)
  }

  async createCheckpoint(localPath: string): Promise<Contents.ICheckpointModel> {
    // JupyterLab checkpoints a document it opens; pairbook's log is the history instead.
    return { id: 'pairbook-log', last_modified: notebookModel(localPath, false).last_modified }
  }

  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return []
  }

  async restoreCheckpoint(localPath: string): Promise<void> {
    return this.refuse('restore a checkpoint of (use the replay page)', localPath)
  }

  async deleteCheckpoint(): Promise<void> {
    return undefined
  }

  private requireSession(): PairbookSession {
    if (this.current === null) throw new NoRoomError()
    return this.current
  }

  private refuse(what: string, path: string): never {
    throw new Error(`pairbook rooms cannot ${what} ${path || 'the room'} from JupyterLab: use pairbook's own page`)
  }
}
