/** One JupyterLab notebook bound to a pairbook room, as the panels see it: the server's
 * clock, the run badges in its cells' footers, each cell's number in its prompt, the read-only lock a navigator's notebook
 * gets in mob mode, and its toolbar's driver label and recording indicator. The sidebars
 * show the binding of the notebook in focus. */

import type { NotebookPanel } from '@jupyterlab/notebook'
import type { IDisposable } from '@lumino/disposable'
import { Signal, type ISignal } from '@lumino/signaling'
import type * as Y from 'yjs'

import { DocMap } from '../../../client/src/schema'
import { RunBadges } from './badges'
import { CellNumbers } from './cellNumbers'
import { mobView, type MobView } from './mobView'
import { NotebookLock } from './notebookLock'
import { recordingView } from './recording'
import { clockOffset, type PanelRoom } from './room'
import { MobLabel, RecordingIndicator } from './toolbarItems'

export class NotebookBinding implements IDisposable {
  readonly ymob: Y.Map<unknown>
  readonly ykernel: Y.Map<unknown>
  private readonly yrecording: Y.Map<unknown>
  private readonly badges: RunBadges
  private readonly numbers: CellNumbers
  private readonly lock: NotebookLock
  private readonly mobLabel = new MobLabel()
  private readonly recording = new RecordingIndicator()
  private readonly mobChanged = new Signal<this, MobView>(this)
  private offset = 0
  private disposed = false

  constructor(readonly panel: NotebookPanel, readonly room: PanelRoom, notify: (message: string) => void) {
    this.ymob = room.doc.getMap(DocMap.MOB_MAP)
    this.ykernel = room.doc.getMap(DocMap.KERNEL_MAP)
    this.yrecording = room.doc.getMap(DocMap.RECORDING_MAP)
    this.badges = new RunBadges(panel, room.doc, () => this.now())
    this.numbers = new CellNumbers(panel)
    this.lock = new NotebookLock(panel, notify)
    panel.toolbar.addItem('pairbook-mob', this.mobLabel)
    panel.toolbar.addItem('pairbook-recording', this.recording)
    this.ymob.observeDeep(this.onMob)
    this.yrecording.observe(this.onRecording)
    this.onMob()
    this.onRecording()
    void this.syncClock()
  }

  /** The mob state changed (or who this person is did): the mob panel redraws. */
  get mobStateChanged(): ISignal<this, MobView> {
    return this.mobChanged
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  /** The server's time now, seconds since the epoch (as well as this machine can tell). */
  now(): number {
    return Date.now() / 1000 + this.offset
  }

  /** The mob panel's view for this person now. */
  mob(): MobView {
    return mobView(this.ymob.toJSON(), this.room.me(), this.now())
  }

  /** Whether this notebook is read-only now (a navigator's in mob mode). */
  get locked(): boolean {
    return this.lock.isLocked
  }

  /** Who this person is may have changed (pairbook answered whoami): apply the rules again. */
  refresh(): void {
    this.onMob()
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.ymob.unobserveDeep(this.onMob)
    this.yrecording.unobserve(this.onRecording)
    this.badges.dispose()
    this.numbers.dispose()
    this.lock.dispose()
    this.mobLabel.dispose()
    this.recording.dispose()
    Signal.clearData(this)
  }

  private readonly onMob = (): void => {
    const view = this.mob()
    // A viewer's notebook is the core's to lock (readonly.ts), in every mode; this lock is
    // the mob's: a navigator's, while someone else drives.
    this.lock.set(this.room.me().viewer ? null : view.lock)
    this.mobLabel.showMob(view)
    this.mobChanged.emit(view)
  }

  private readonly onRecording = (): void => {
    this.recording.showRecording(recordingView(this.yrecording.toJSON(), this.room.server, this.room.path))
  }

  private async syncClock(): Promise<void> {
    const sent = Date.now() / 1000
    const reply = await this.room.request('mob-clock')
    const offset = reply?.ok === true ? clockOffset(reply.result, sent, Date.now() / 1000) : null
    if (offset !== null && !this.disposed) this.offset = offset
  }
}
