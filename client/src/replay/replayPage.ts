/** The replay page `/replay/<notebook>`: the notebook read-only as it was at a moment (the
 * last one when the link names none), a sticky transport and timeline (a lane per person,
 * a clock-time axis), the moment's driver, people and chat beside the notebook, playback,
 * follow a person, blame, and restoring a past version. Keys: Space, ←/→, Home/End. */

import type { YNotebook } from '@jupyter/ydoc'
import { newNotebook } from '../notebook/notebookModel'
import * as Y from 'yjs'

import type { Api, Me } from '../api'
import { button, h, icon, ICONS, relabel, saveFile } from '../dom'
import { RunStore } from '../kernel/runStore'
import { NotebookView } from '../notebook/notebookView'
import { topbar } from '../pages/chrome'
import { Banner, toast } from '../panels/status'
import { notebookHref, replayHref } from '../routes'
import { hideBlame, showBlame } from './blameGutter'
import { clockTime, momentFromSearch, nextRunEnd, SPEEDS, stepBack, TRANSPORT_KEYS, waitMs } from './moments'
import { MomentPanel } from './momentPanel'
import { applyPresenceEvents, publishPresence } from './recordedPresence'
import { type Chunk, fromBase64, type Moment, type PresenceState, ReplayApi, type Step, type Timeline, type TimelineEvent } from './replayApi'
import { TimelineStrip } from './timelineStrip'
import { DocMap } from '../schema'
import { SharedWidgets } from '../widgets/sharedWidgets'
import './replay.css'

export interface ReplayPageOptions {
  app: HTMLElement
  api: Api
  me: Me
  token: string
  path: string
}

const BLAME_REFRESH_MS = 2000

/** The transport's icons (24-unit paths): to the start, a step back, pause, a step forward, to the end. */
const TRANSPORT_ICONS = {
  start: 'M4 5h2v14H4zm3 7l6.5-7v14zm6.5 0L20 5v14z',
  back: 'M6 5h2v14H6zm3 7l9-7v14z',
  pause: 'M6 5h4v14H6zm8 0h4v14h-4z',
  forward: 'M16 5h2v14h-2zm-1 7L6 19V5z',
  end: 'M18 5h2v14h-2zm-1 7l-6.5 7V5zm-6.5 0L4 19V5z'
} as const

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

  // State ------------------------------------------------------------------------------
  let seq = timeline.last_seq
  let ts = timeline.end_ts
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
  const playButton = button('', 'Play', () => (playing ? pause() : void play()), { class: 'btn primary play-button', shortcut: 'Space' })
  const transport = h(
    'div',
    { class: 'tool-group transport' },
    button(icon(TRANSPORT_ICONS.start), 'Go to the first moment', () => void transportKey('start'), { class: 'btn', shortcut: 'Home' }),
    button(icon(TRANSPORT_ICONS.back), 'Step back one change', () => void transportKey('back'), { class: 'btn', shortcut: '←' }),
    playButton,
    button(icon(TRANSPORT_ICONS.forward), 'Step forward one change', () => void transportKey('forward'), { class: 'btn', shortcut: '→' }),
    button(icon(TRANSPORT_ICONS.end), 'Go to the last moment', () => void transportKey('end'), { class: 'btn', shortcut: 'End' })
  )
  const showPlaying = (on: boolean): void => {
    relabel(playButton, h('span', {}, icon(on ? TRANSPORT_ICONS.pause : ICONS.run), on ? ' Pause' : ' Play'), on ? 'Pause' : 'Play')
  }
  showPlaying(false)
  const speedSelect = h('select', { class: 'speed-select', 'aria-label': 'Playback speed' }, ...SPEEDS.map((s) => h('option', { value: String(s), selected: s === speed }, `${s}×`)))
  speedSelect.addEventListener('change', () => (speed = Number(speedSelect.value)))
  const nextRun = button('Next run ▸|', 'Step to the end of the next run', () => {
    const target = nextRunEnd(timeline.events, seq + 1)
    if (target === null) toast('No more runs after this moment.')
    else void seek({ seq: target })
  }, { class: 'btn' })
  const followSelect = h('select', { class: 'follow-select', 'aria-label': 'Follow a person' })
  const listPeople = (): void => {
    followSelect.replaceChildren(
      h('option', { value: '' }, 'Follow nobody'),
      ...Object.entries(timeline.people).map(([id, person]) => h('option', { value: id, selected: id === following }, `Follow ${person.name}`))
    )
  }
  listPeople()
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
  let strip = new TimelineStrip(timeline, (at) => void seek(at))
  const panel = new MomentPanel(timeline)
  const controls = h(
    'div',
    { class: 'toolbar replay-controls', role: 'toolbar', 'aria-label': 'Playback' },
    transport,
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
  const head = h('div', { class: 'replay-head' }, controls, strip.element)
  main.append(head, h('div', { class: 'replay-body' }, host, panel.element))
  // The side panel sticks below the transport and timeline, whatever their height.
  new ResizeObserver(() => main.style.setProperty('--replay-head-h', `${head.offsetHeight}px`)).observe(head)
  if (timeline.off.length > 0) {
    banner.add('off', 'info', `Recording was turned off ${timeline.off.length === 1 ? 'once' : `${timeline.off.length} times`} in this session: those stretches show only their result (hatched on the timeline).`, null)
  }

  async function exportSession(): Promise<void> {
    try {
      saveFile(replay.exportName(), await replay.exportText(), 'application/x-ndjson')
    } catch (error) {
      toast(`Could not export the session: ${error instanceof Error ? error.message : String(error)}.`)
    }
  }

  // Moments ------------------------------------------------------------------------------
  let seekId = 0
  let widgets: SharedWidgets | null = null
  async function seek(at: { seq: number } | { t: number }): Promise<void> {
    pause()
    const id = ++seekId
    let moment: Moment
    try {
      moment = await replay.moment(at)
    } catch (error) {
      toast(`Could not show that moment: ${error instanceof Error ? error.message : String(error)}`)
      return
    }
    if (id !== seekId) return // a later seek (a key held down) answers instead
    view?.destroy()
    widgets?.destroy()
    notebook?.dispose()
    notebook = newNotebook()
    notebook.awareness.setLocalState(null)
    Y.applyUpdate(notebook.ydoc, fromBase64(moment.update), 'replay')
    // The widgets as they were: they follow the replayed map, and nobody can change them.
    widgets = new SharedWidgets(notebook.ydoc.getMap(DocMap.WIDGETS_MAP), { send: null, readOnly: true })
    view = new NotebookView({
      notebook,
      awareness: notebook.awareness,
      readOnly: true,
      widgets,
      runs: new RunStore(notebook.ydoc),
      onSelection: (cell) => (selectedCell = cell?.id ?? null),
      moment: () => ts
    })
    host.replaceChildren(view.element)
    presence.clear()
    for (const state of moment.presence) presence.set(state.client, state)
    moved(moment.seq, moment.ts)
    showPresence()
    history.replaceState(null, '', replayHref(path, seq))
    if (blameOn) await refreshBlame()
  }

  function moved(newSeq: number, newTs: number): void {
    seq = newSeq
    ts = newTs || ts
    strip.show(ts, seq)
    where.textContent = `${clockTime(ts)} · moment ${seq} of ${timeline.last_seq}`
    if (frame === 0) frame = requestAnimationFrame(showMoment)
  }

  /** The panel and the run badges follow the moment, at most once a frame while playing. */
  let frame = 0
  function showMoment(): void {
    frame = 0
    if (notebook === null || view === null) return
    panel.show(notebook.ydoc, ts, [...presence.values()].map((entry) => entry.user))
    for (const cell of notebook.cells) view.cellById(cell.id)?.refreshRun()
  }

  /** Shows one recorded change and the events before it. */
  function advance(step: Step, events: TimelineEvent[]): void {
    if (notebook === null) return
    Y.applyUpdate(notebook.ydoc, fromBase64(step.update), 'replay')
    applyEvents(events.filter((e) => e.seq < step.seq))
    moved(step.seq, step.ts)
  }

  /** A live room's recording grows while the page is open: its timeline is fetched again
   * (for the end of it, or when playback goes past it) and the strip redrawn. */
  let refreshing: Promise<void> | null = null
  function refreshTimeline(): Promise<void> {
    if (timeline.live !== true) return Promise.resolve()
    refreshing ??= replay
      .timeline()
      .then((fresh) => {
        if (fresh.last_seq <= timeline.last_seq) return
        timeline = fresh
        const next = new TimelineStrip(fresh, (at) => void seek(at))
        strip.element.replaceWith(next.element)
        strip = next
        panel.use(fresh)
        listPeople()
        moved(seq, ts)
      })
      .catch((error: unknown) => toast(`Could not bring the timeline up to date: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (refreshing = null))
    return refreshing
  }

  async function transportKey(action: (typeof TRANSPORT_KEYS)[string]): Promise<void> {
    switch (action) {
      case 'play':
        return playing ? pause() : play()
      case 'start':
        return seek({ seq: Math.min(timeline.first_seq + 1, timeline.last_seq) })
      case 'end':
        await refreshTimeline()
        return seek({ seq: timeline.last_seq })
      case 'back':
        if (seq > timeline.first_seq) await seek({ seq: stepBack(seq, timeline.off, timeline.first_seq) })
        return
      case 'forward': {
        pause()
        if (seq >= timeline.last_seq) await refreshTimeline()
        if (seq >= timeline.last_seq) return
        const chunk = await replay.chunk(seq, 1)
        const step = chunk.steps[0]
        if (step !== undefined) advance(step, chunk.events)
        history.replaceState(null, '', replayHref(path, seq))
      }
    }
  }

  function applyEvents(events: TimelineEvent[]): void {
    applyPresenceEvents(presence, events)
    showPresence()
  }

  /** The recorded people's cursors and selected cells, shown as remote peers. */
  function showPresence(): void {
    if (notebook === null) return
    publishPresence(notebook.awareness, presence)
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
    showPlaying(true)
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
        advance(step, events)
        events = events.filter((e) => e.seq >= step.seq)
        if (step.seq > timeline.last_seq) void refreshTimeline() // the room went on since
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
    showPlaying(false)
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
        if (blameOn && at === seq) showBlame(element, blame.lines, timeline.people, timeline.server_color)
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
    const action = TRANSPORT_KEYS[event.key]
    if (action === undefined || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
    const target = event.target instanceof Element ? event.target : document.body
    // Typing places and the notebook's editors keep their keys; a focused button its Space.
    if (target.closest('input, select, textarea, .cm-editor, [contenteditable="true"], dialog') !== null) return
    if (action === 'play' && target.closest('button, a') !== null) return
    event.preventDefault()
    void transportKey(action)
  })

  // For tests: the page's state, read-only by convention (`ready` once the first moment shows).
  const state = { get timeline() { return timeline }, seek, ready: false, get seq() { return seq }, get notebook() { return notebook } }
  Object.assign(window, { pairbookReplay: state })
  await seek(momentFromSearch(location.search) ?? { seq: timeline.last_seq })
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
