/** SharedWidgets: the widget views of one page, bound to the room's shared `widgets` map.
 *
 * Every page builds the same models from the map (the kernel's state, written by the
 * server); a person's change goes out as a `widget` command and comes back as the map's
 * new state, for everyone. Viewers, navigators while another person drives, and the replay
 * see widgets they cannot change; a widget whose kernel is gone shows as disconnected; a
 * widget library this page does not have shows the output's text and a note. */

import './widgets.css'

import * as Y from 'yjs'

import { h } from '../dom'
import type { WidgetViews } from '../notebook/outputs'
import { type CommLink, type CommReply, EchoWaits, SharedComm } from './sharedComm'
import { collectChanges, isKnownModule, readRecord, stateOf } from './widgetState'
import type { RoomWidgetManager } from './widgetRuntime'

type Runtime = typeof import('./widgetRuntime')

export interface SharedWidgetsOptions {
  /** Send a change (null: this page never changes widgets, as in the replay). */
  send: ((model: string, body: { state?: Record<string, unknown>; custom?: unknown; echo: string }) => Promise<CommReply | null>) | null
  readOnly: boolean
  refused?: (message: string) => void
  load?: () => Promise<Runtime>
}

export const GONE_NOTE = 'Disconnected: this widget is from a kernel that is gone (restarted or stopped). Run its cell again for a live one.'
export const CLOSED_NOTE = 'This widget was closed in the kernel.'

export function unknownLibraryNote(module: string): string {
  return `This widget comes from ${module}, a widget library pairbook's page does not include: its text form is shown instead.`
}

export class SharedWidgets implements WidgetViews {
  private runtime: Promise<{ manager: RoomWidgetManager }> | null = null
  private readonly comms = new Map<string, SharedComm>()
  private readonly hosts = new Set<HTMLElement>()
  /** Views whose model is not in the map (yet): drawn again if it comes, with this text. */
  private readonly unmatched = new Map<HTMLElement, string>()
  private readonly waiting = new EchoWaits()
  private readOnly: boolean

  constructor(
    private readonly ymodels: Y.Map<unknown>,
    private readonly options: SharedWidgetsOptions
  ) {
    this.readOnly = options.readOnly || options.send === null
    ymodels.observeDeep(this.onChange)
  }

  /** A widget view output: its view once its model is there, or its text and a note. */
  render(data: Record<string, unknown>, fallback: string): HTMLElement {
    const view = data as { model_id?: unknown }
    const modelId = typeof view.model_id === 'string' ? view.model_id : ''
    const host = h('div', { class: 'widget-area', 'data-model': modelId })
    this.hosts.add(host)
    this.paint(host)
    void this.draw(host, modelId, fallback)
    return host
  }

  /** Whether this person may change widgets now (a navigator's turn comes and goes). */
  setReadOnly(readOnly: boolean): void {
    this.readOnly = readOnly || this.options.send === null
    for (const host of this.hosts) this.paint(host)
  }

  /** A pairbook event: `widget-echo` settles the change sent with its echo id. */
  handleEvent(event: Record<string, unknown>): void {
    if (event.event !== 'widget-echo' || typeof event.echo !== 'string') return
    this.waiting.settle(event.echo, { ok: event.ok === true, error: typeof event.error === 'string' ? event.error : undefined })
  }

  /** The connection dropped: changes under way get no answer any more. */
  connectionLost(): void {
    this.waiting.endAll({ ok: false, error: 'the connection dropped' })
  }

  destroy(): void {
    this.ymodels.unobserveDeep(this.onChange)
  }

  private paint(host: HTMLElement): void {
    const record = readRecord(this.ymodels, host.dataset.model ?? '')
    const gone = record?.gone === true
    host.classList.toggle('widget-gone', gone)
    host.classList.toggle('widget-read-only', this.readOnly)
    host.inert = gone || this.readOnly
    let note = host.querySelector<HTMLElement>(':scope > .widget-note.gone')
    if (gone && note === null) {
      note = h('div', { class: 'widget-note gone', role: 'note' }, GONE_NOTE)
      host.prepend(note)
    } else if (!gone) note?.remove()
  }

  private async draw(host: HTMLElement, modelId: string, fallback: string): Promise<void> {
    const record = readRecord(this.ymodels, modelId)
    if (record === null) {
      this.unmatched.set(host, fallback)
      host.append(h('div', { class: 'widget-note', role: 'note' }, CLOSED_NOTE), h('pre', { class: 'output-text widget-fallback' }, fallback))
      return
    }
    this.unmatched.delete(host)
    const module = String(record.state._view_module ?? record.state._model_module ?? '')
    if (!isKnownModule(module) || !isKnownModule(record.state._model_module)) {
      host.append(h('div', { class: 'widget-note', role: 'note' }, unknownLibraryNote(module)), h('pre', { class: 'output-text widget-fallback' }, fallback))
      return
    }
    try {
      const { manager } = await this.load()
      await this.ensureModels(manager)
      await manager.show(modelId, host)
    } catch (error) {
      console.error('widget view failed', error)
      host.append(h('div', { class: 'widget-note', role: 'note' }, `This widget could not be shown: ${String(error)}`), h('pre', { class: 'output-text widget-fallback' }, fallback))
    }
  }

  private load(): Promise<{ manager: RoomWidgetManager }> {
    this.runtime ??= (this.options.load ?? (() => import('./widgetRuntime')))().then((runtime) => ({ manager: new runtime.RoomWidgetManager(this) }))
    return this.runtime
  }

  /** Every model in the map, made once (a box's children are models of their own). */
  private async ensureModels(manager: RoomWidgetManager): Promise<void> {
    const made: Promise<unknown>[] = []
    for (const id of this.ymodels.keys()) {
      if (this.comms.has(id)) continue
      const record = readRecord(this.ymodels, id)
      if (record === null || !isKnownModule(record.state._model_module)) continue
      const comm = new SharedComm(id, this.link)
      this.comms.set(id, comm)
      made.push(manager.open(record, comm))
    }
    await Promise.all(made)
  }

  private readonly link: CommLink = {
    send: (model, body) => (this.options.send === null ? Promise.resolve(null) : this.options.send(model, body)),
    taken: (echo) => this.waiting.wait(echo),
    canSend: () => !this.readOnly,
    current: (model, keys) => stateOf(this.ymodels, model, keys),
    refused: (message) => this.options.refused?.(message),
    now: () => performance.now(),
    wait: (ms) => new Promise((resolve) => window.setTimeout(resolve, ms))
  }

  private readonly onChange = (events: Y.YEvent<Y.AbstractType<unknown>>[]): void => {
    const changes = collectChanges(this.ymodels, events)
    for (const [id, keys] of changes.keys) {
      const comm = this.comms.get(id)
      if (comm === undefined || keys.size === 0) continue
      const { state, bufferPaths, buffers } = stateOf(this.ymodels, id, keys)
      // As an echo: keys this page is still sending wait for their own answer (no jitter).
      comm.deliver({ method: 'echo_update', state, buffer_paths: bufferPaths }, buffers)
    }
    for (const id of changes.removed) {
      this.comms.get(id)?.deliverClose()
      this.comms.delete(id)
    }
    if (changes.added.size > 0 && this.runtime !== null) void this.runtime.then(({ manager }) => this.ensureModels(manager))
    for (const [host, fallback] of this.unmatched) {
      if (!changes.added.has(host.dataset.model ?? '')) continue
      // The model came after its view (the map and the cell travel in separate updates).
      host.replaceChildren()
      this.paint(host)
      void this.draw(host, host.dataset.model ?? '', fallback)
    }
    for (const host of this.hosts) {
      if (!host.isConnected && host.dataset.placed === 'yes') {
        this.hosts.delete(host) // its output went
        this.unmatched.delete(host)
      }
      else {
        if (host.isConnected) host.dataset.placed = 'yes'
        this.paint(host)
      }
    }
  }
}
