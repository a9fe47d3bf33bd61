/** The replay page `/replay/<notebook>`: the notebook read-only as it was at a moment, the
 * session's timeline, playback, follow a person, blame, and restoring a past version. */

import { YNotebook } from '@jupyter/ydoc'
import * as Y from 'yjs'

import type { Api, Me } from '../api'
import { button, h, saveFile } from '../dom'
import { RunStore } from '../kernel/runStore'
import { NotebookView } from '../notebook/notebookView'
import { topbar } from '../pages/chrome'
import { Banner, toast } from '../panels/status'
import { notebookHref, replayHref } from '../routes'
import { hideBlame, showBlame } from './blameGutter'
import { clockTime, momentFromSearch, nextRunEnd, SPEEDS, waitMs } from './moments'
import { type Chunk, fromBase64, type PresenceState, ReplayApi, type Timeline, type TimelineEvent } from './replayApi'
import { TimelineStrip } from './timelineStrip'

export interface ReplayPageOptions {
  app: HTMLElement
  api: Api
  me: Me
  token: string
  path: string
}

const BLAME_REFRESH_MS = 2000

export async function showReplayPage({ app, me, token, path }: ReplayPageOptions): Promise<void> {
  const replay = new ReplayApi(token, path)
  const name = path.split('/').pop() ?? path
  document.title = `Replay of ${name} · pairbook`
  const banner = new Banner()
  const main = h('main', { class: 'notebook-main replay-main' }, banner.element)
  app.replaceChildren(topbar(crumbs(path)), main)
  let timeline: Timeline
  try {
    timeline = await replay.timeline()
  } catch (error) {
    main.append(h('div', { class: 'card message' }, h('h1', {}, 'No replay'), h('p', {}, (error as Error).message)))
    return
  }
  const people = timeline.people

  // State ------------------------------------------------------------------------------
  let seq = timeline.first_seq
  let ts = timeline.start_ts
  let speed: number = 4
  let playing = false
  let playId = 0
  let following: string | null = null
  let blameOn = false
  let selectedCell: string | null = null
  let notebook: YNotebook | null = null
  let view: NotebookView | null = null
  const presence = new Map<number, PresenceState>()
  const host = h('div', { class: 'replay-notebook' })

  // Controls ---------------------------------------------------------------------------
  const playButton = button('▶ Play', 'Play', () => (playing ? pause() : void play()), { class: 'btn primary', shortcut: 'Space' })
  const speedSelect = h('select', { class: 'speed-select', 'aria-label': 'Playback speed' }, ...SPEEDS.map((s) => h('option', { value: String(s), selected: s === speed }, `${s}×`)))
  speedSelect.addEventListener('change', () => (speed = Number(speedSelect.value)))
  const nextRun = button('Next run ▸|', 'Step to the end of the next run', () => {
    const target = nextRunEnd(timeline.events, seq + 1)
    if (target === null) toast('No more runs after this moment.')
    else void seek({ seq: target })
  }, { class: 'btn' })
  const followSelect = h(
    'select',
    { class: 'follow-select', 'aria-label': 'Follow a person' },
    h('option', { value: '' }, 'Follow nobody'),
    ...Object.entries(people).map(([id, person]) => h('option', { value: id }, `Follow ${person.name}`))
  )
  followSelect.addEventListener('change', () => {
    following = followSelect.value === '' ? null : followSelect.value
    followPerson()
  })
  const blameToggle = h('input', { type: 'checkbox', class: 'blame-toggle', 'aria-label': 'Show who wrote each line' })
  blameToggle.addEventListener('change', () => {
    blameOn = blameToggle.checked
    if (blameOn) void refreshBlame()
    else hideBlame(host)
  })
  const where = h('span', { class: 'replay-where', 'aria-live': 'polite' })
  const restoreCell = button('Restore cell', 'Restore the selected cell as it was here, into the live notebook', () => void restore(selectedCell), { class: 'btn' })
  const restoreAll = button('Restore notebook', 'Restore the whole notebook as it was here, into the live notebook', () => void restore(null), { class: 'btn' })
  const canRestore = me.role !== 'viewer'
  const strip = new TimelineStrip(timeline, (t) => void seek({ t }))
  const controls = h(
    'div',
    { class: 'toolbar replay-controls', role: 'toolbar', 'aria-label': 'Playback' },
    playButton,
    speedSelect,
    nextRun,
    followSelect,
    h('label', { class: 'blame-label' }, blameToggle, ' Blame'),
    h('div', { class: 'spacer' }),
    where,
    canRestore ? restoreCell : null,
    canRestore ? restoreAll : null,
    button('Export', 'Download this session as JSON lines', () => void exportSession(), { class: 'btn' })
  )
  main.append(controls, strip.element, host)
  if (timeline.off.length > 0) {
    banner.add('off', 'info', `Recording was turned off ${timeline.off.length === 1 ? 'once' : `${timeline.off.length} times`} in this session: those stretches show only their result (grey on the timeline).`, null)
  }

  async function exportSession(): Promise<void> {
    try {
      saveFile(replay.exportName(), await replay.exportText(), 'application/x-ndjson')
    } catch (error) {
      toast(`Could not export the session: ${error instanceof Error ? error.message : String(error)}.`)
    }
  }

  // Moments ------------------------------------------------------------------------------
  async function seek(at: { seq: number } | { t: number }): Promise<void> {
    pause()
    const moment = await replay.moment(at)
    view?.destroy()
    notebook?.dispose()
    notebook = new YNotebook()
    notebook.awareness.setLocalState(null)
    Y.applyUpdate(notebook.ydoc, fromBase64(moment.update), 'replay')
    view = new NotebookView({
      notebook,
      awareness: notebook.awareness,
      readOnly: true,
      runs: new RunStore(notebook.ydoc),
      onSelection: (cell) => (selectedCell = cell?.id ?? null)
    })
    host.replaceChildren(view.element)
    presence.clear()
    for (const state of moment.presence) presence.set(state.client, state)
    moved(moment.seq, moment.ts)
    publishPresence()
    history.replaceState(null, '', replayHref(path, seq))
    if (blameOn) await refreshBlame()
  }

  function moved(newSeq: number, newTs: number): void {
    seq = newSeq
    ts = newTs || ts
    strip.show(ts, seq)
    where.textContent = `moment ${seq} of ${timeline.last_seq} · ${clockTime(ts)}`
  }

  function applyEvents(events: TimelineEvent[]): void {
    for (const event of events) {
      if (event.kind === 'awareness') {
        const client = Number(event.data.client)
        const state = event.data.state as Record<string, unknown> | null
        if (state === null) presence.delete(client)
        else presence.set(client, { user: event.user, client, state })
      } else if (event.kind === 'leave') {
        for (const client of (event.data.clients as number[] | undefined) ?? []) presence.delete(client)
      }
    }
    publishPresence()
  }

  /** The recorded people's cursors and selected cells, shown as remote peers. */
  function publishPresence(): void {
    if (notebook === null) return
    const awareness = notebook.awareness
    const removed = [...awareness.getStates().keys()].filter((id) => id !== awareness.clientID && !presence.has(id))
    for (const id of removed) awareness.states.delete(id)
    const updated: number[] = []
    for (const [client, entry] of presence) {
      if (client === awareness.clientID) continue
      awareness.states.set(client, entry.state)
      awareness.meta.set(client, { clock: 0, lastUpdated: Date.now() })
      updated.push(client)
    }
    awareness.emit('change', [{ added: [], updated, removed }, 'replay'])
    followPerson()
  }

  function followPerson(): void {
    if (following === null || view === null) return
    for (const entry of presence.values()) {
      const cell = entry.state.cell
      if (entry.user === following && typeof cell === 'string') {
        view.scrollToCell(cell)
        return
      }
    }
  }

  // Playback -----------------------------------------------------------------------------
  async function play(): Promise<void> {
    if (seq >= timeline.last_seq) await seek({ seq: timeline.first_seq })
    playing = true
    const id = ++playId
    playButton.textContent = '❚❚ Pause'
    playButton.setAttribute('aria-label', 'Pause')
    let lastBlame = performance.now()
    while (playing && id === playId) {
      let chunk: Chunk
      try {
        chunk = await replay.chunk(seq)
      } catch (error) {
        toast(`Playback stopped: ${(error as Error).message}`)
        break
      }
      if (chunk.steps.length === 0 || id !== playId) break
      let events = chunk.events
      for (const step of chunk.steps) {
        await new Promise((resolve) => window.setTimeout(resolve, waitMs(step.ts - ts, speed)))
        if (!playing || id !== playId || notebook === null) return
        Y.applyUpdate(notebook.ydoc, fromBase64(step.update), 'replay')
        applyEvents(events.filter((e) => e.seq < step.seq))
        events = events.filter((e) => e.seq >= step.seq)
        moved(step.seq, step.ts)
        if (blameOn && performance.now() - lastBlame > BLAME_REFRESH_MS) {
          lastBlame = performance.now()
          void refreshBlame()
        }
      }
      applyEvents(events)
    }
    if (id === playId) pause()
  }

  function pause(): void {
    playing = false
    playId++
    playButton.textContent = '▶ Play'
    playButton.setAttribute('aria-label', 'Play')
    history.replaceState(null, '', replayHref(path, seq))
  }

  // Blame and restore ----------------------------------------------------------------------
  async function refreshBlame(): Promise<void> {
    if (view === null || notebook === null) return
    const at = seq
    for (const cell of notebook.cells) {
      const element = view.cellById(cell.id)?.element
      if (element === undefined) continue
      try {
        const blame = await replay.blame(at, cell.id)
        if (blameOn && at === seq) showBlame(element, blame.lines, people)
      } catch {
        // A cell added after the moment asked: the next refresh covers it.
      }
    }
  }

  async function restore(cell: string | null): Promise<void> {
    if (cell === null && !window.confirm(`Make the live notebook read as it did at ${clockTime(ts)}? Everyone sees the change, attributed to you.`)) return
    if (cell !== null && view?.cellById(cell) === null) {
      toast('Select a cell of this moment first.')
      return
    }
    try {
      await replay.restore(seq, cell)
      toast(cell === null ? 'The live notebook now reads as it did at this moment.' : 'The cell is back, as it was here, in the live notebook.')
    } catch (error) {
      toast(`Could not restore: ${(error as Error).message}`)
    }
  }

  document.addEventListener('keydown', (event) => {
    if (event.key === ' ' && document.activeElement === document.body) {
      event.preventDefault()
      if (playing) pause()
      else void play()
    }
  })

  // For tests: the page's state, read-only by convention (`ready` once the first moment shows).
  const state = { timeline, seek, ready: false, get seq() { return seq }, get notebook() { return notebook } }
  Object.assign(window, { pairbookReplay: state })
  await seek(momentFromSearch(location.search) ?? { seq: Math.min(timeline.first_seq + 1, timeline.last_seq) })
  state.ready = true
}

function crumbs(path: string): HTMLElement {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '/' }, 'Notebooks'),
    h('span', { 'aria-hidden': 'true' }, '/'),
    h('a', { href: notebookHref(path) }, path),
    h('span', { 'aria-hidden': 'true' }, '/'),
    h('span', { class: 'nb-title', 'aria-current': 'page' }, 'Replay')
  )
}
