/** The notebook page: one shared notebook, its people, its connection. Wiring only. */

import { newNotebook } from '../notebook/notebookModel'

import type { Api, Me } from '../api'
import { CheckControl } from '../check/checkControl'
import { type CommandName, type CommandReply, isInputRequest } from '../commands'
import { Connection } from '../connection'
import { CursorLabels } from '../editor/cursorLabels'
import { assistOver } from '../editor/kernelAssist'
import { append, button, h, icon, ICONS, saveFile } from '../dom'
import { showEnvironment } from '../kernel/environmentNotice'
import { KernelPanel } from '../kernel/kernelPanel'
import { cellWarnings } from '../state/kernelView'
import { SidebarWidth } from '../state/panelWidth'
import { StatePanel } from '../state/statePanel'
import { LockNote } from '../mob/lockNote'
import { unappliedText } from '../mob/unapplied'
import { MobPanel } from '../mob/mobPanel'
import { controlRefusal, type KernelControl, type MobState, roleOf } from '../mob/mobState'
import { pointersFrom, renderPointers } from '../mob/pointers'
import { stateNotice } from '../kernel/kernels'
import { RunStore } from '../kernel/runStore'
import type { CellType } from '../notebook/actions'
import { type NotebookAction } from '../notebook/keys'
import { type Mode, NotebookView } from '../notebook/notebookView'
import { twinSwitch } from '../notebook/twinSwitch'
import { openHelpDialog } from '../panels/helpDialog'
import { openInviteDialog } from '../panels/inviteDialog'
import { openPeopleDialog } from '../panels/peopleDialog'
import { ParticipantsPanel } from '../panels/participants'
import { type AwarenessState, isColor, participantsByCell, participantsFrom, scrubStyleColours } from '../panels/presence'
import { Banner, StatusBadge, toast } from '../panels/status'
import { topbar } from './chrome'
import { endIfClosed } from './closedPage'
import { refusalMessage } from './commandRefusals'
import { downloadMenu } from './downloadMenu'
import { showFileEvent } from './fileNotices'
import { Follow, shareViewport } from './follow'
import { modeLabel } from './modeLabel'
import { listenForPageKeys } from './pageKeys'
import { notebookToolbar } from './toolbar'
import { liveRecording } from '../replay/liveRecording'
import { DocMap } from '../schema'
import { SharedWidgets } from '../widgets/sharedWidgets'

export interface NotebookPageOptions {
  app: HTMLElement
  api: Api
  me: Me
  path: string
}

export function showNotebookPage({ app, api, me, path }: NotebookPageOptions): void {
  const readOnly = me.role === 'viewer'
  const notebook = newNotebook()
  const awareness = notebook.awareness
  const color = me.user !== null && isColor(me.user.color) ? me.user.color : '#4363d8'
  awareness.setLocalState({
    user: { id: me.user?.id, name: me.user?.name ?? 'Guest', color },
    cell: null,
    mode: 'command',
    viewport: null
  })
  // First of the awareness listeners: the editors read these states after it.
  awareness.on('change', () => scrubStyleColours(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID))

  const status = new StatusBadge()
  const banner = new Banner()
  const modeText = h('span', { class: 'mode-label', 'aria-live': 'polite' }, 'Command mode')
  const typeSelect = h(
    'select',
    { class: 'type-select', 'aria-label': 'Cell type', title: 'Cell type (Y, M, R)' },
    h('option', { value: 'code' }, 'Code'),
    h('option', { value: 'markdown' }, 'Markdown'),
    h('option', { value: 'raw' }, 'Raw')
  )

  const runs = new RunStore(notebook.ydoc)
  runs.onKernel((state) => banner.showKernel(state, Date.now() / 1000))
  showEnvironment(notebook.ydoc, banner)
  // Set once the connection exists (below); commands before that say "not connected".
  let send: (command: CommandName, args?: Record<string, unknown>) => Promise<boolean> = async () => (toast('Not connected yet: try again in a moment.'), false)
  // The room's widgets: a change is a `widget` command (refused ones snap back, with a toast).
  const widgets = new SharedWidgets(notebook.ydoc.getMap(DocMap.WIDGETS_MAP), {
    send: (model, body) => request('widget', { model, ...body }),
    readOnly,
    refused: (message) => toast(`Could not change the widget: ${message}.`)
  })
  // The `mob` map as last read (set by the mob panel below): who may stop the kernel now.
  let mobState: MobState | null = null
  const kernelRefusal = (action: KernelControl, runner: string | null): string | null =>
    controlRefusal(mobState, { id: me.user?.id ?? null, owner: me.role === 'owner' }, action, runner)
  const view = new NotebookView({
    notebook,
    awareness,
    readOnly,
    widgets,
    runs,
    onRun: (cells) => send('run', { cells }),
    onInputReply: (execution, value) => send('input-reply', { execution, value }),
    assist: assistOver((command, args) => request(command, args)),
    onKernelAction: (action, cell) => {
      const refusal = action === 'restart' || action === 'interrupt' ? kernelRefusal(action, runs.kernelRecord.current?.user.id ?? null) : null
      if (refusal !== null) toast(`${refusal[0].toUpperCase()}${refusal.slice(1)}.`)
      else if (action === 'restart') kernel.confirmRestart()
      else if (action === 'interrupt') send('interrupt')
      else if (cell !== null) send(action, { cell })
    },
    onSelection: (cell, mode: Mode) => {
      showMode(mode)
      if (cell !== null) typeSelect.value = cell.type
    },
    onLockedInput: (cell, input) => {
      if (input.kind === 'run') lockNote.runRefused(cell?.element ?? null)
      else if (cell !== null) lockNote.keystroke(cell.element, input.key, input.ctrl, input.meta)
    },
    onUserNavigation: () => follow.stop(),
    onHelp: openHelpDialog,
    notify: toast
  })

  const participants = new ParticipantsPanel({
    describeCell: (id) => {
      const cell = id === null ? null : view.cellById(id)
      return cell === null ? 'another cell' : `cell ${view.indexOf(cell) + 1}`
    },
    onFollow: (person) => follow.start(person),
    roleOf: (userId) => (mobState === null ? null : roleOf(mobState, userId)),
    selfViewer: readOnly
  })
  const follow = new Follow({ view, banner, participants })

  const act = (action: NotebookAction) => () => {
    follow.stop()
    view.perform(action)
    view.focusActive()
  }
  // Set once the connection exists (below): a command and its reply, or null if not connected.
  let request: (command: CommandName, args?: Record<string, unknown>) => Promise<CommandReply | null> = async () => null
  const kernel = new KernelPanel({
    runs,
    canRun: !readOnly,
    me: { id: me.user?.id ?? null, owner: me.role === 'owner' },
    describeCell: (id) => {
      const cell = view.cellById(id)
      return cell === null ? 'a deleted cell' : `Cell ${view.indexOf(cell) + 1}`
    },
    runSelected: () => {
      follow.stop()
      view.perform('run-next')
      view.focusActive()
    },
    runAll: () => send('run-all'),
    runAbove: act('run-above'),
    runBelow: act('run-below'),
    listKernels: async () => {
      const reply = await request('kernels')
      return reply?.ok === true ? reply.result : null
    },
    setKernel: async (name) => {
      const reply = await request('set-kernel', { kernel: name })
      if (reply !== null && !reply.ok) toast(`Could not switch the kernel: ${reply.error ?? 'refused'}.`)
      return reply?.ok === true
    },
    interrupt: () => send('interrupt'),
    restart: () => send('restart'),
    cancel: (execution) => send('cancel', { execution }),
    controlRefusal: (action, runner) => kernelRefusal(action, runner)
  })

  const describeCell = (id: string): string => {
    const cell = view.cellById(id)
    return cell === null ? 'a deleted cell' : `cell ${view.indexOf(cell) + 1}`
  }
  /** Selects a cell in command mode and scrolls to it (a toast if it has been deleted). */
  const jumpTo = (id: string): void => {
    const cell = view.cellById(id)
    if (cell === null) return toast('That cell has been deleted.')
    view.selectIndex(view.indexOf(cell), 'command')
    view.scrollToCell(id)
  }
  const layout = h('div', { class: 'layout' })
  const sidebarWidth = new SidebarWidth(layout)
  const state = new StatePanel({
    doc: notebook.ydoc,
    width: sidebarWidth,
    describeCell,
    position: (id) => {
      const cell = view.cellById(id)
      return cell === null ? Number.MAX_SAFE_INTEGER : view.indexOf(cell)
    },
    jumpTo: (id) => {
      follow.stop()
      jumpTo(id)
    },
    refresh: readOnly ? null : () => {
      void request('refresh-state').then((reply) => {
        if (reply === null) return toast('Not connected yet: try again in a moment.')
        const result = reply.result as { refreshed?: boolean; reason?: string } | undefined
        if (!reply.ok) toast(`Could not refresh the kernel state: ${reply.error ?? 'refused'}.`)
        else if (result?.refreshed === false) toast(`Not refreshed: ${result.reason ?? 'the kernel is busy'}.`)
      })
    },
    downloadRequirements: () => {
      api.requirements(path).then((text) => {
        saveFile(`${(path.split('/').pop() ?? 'notebook').replace(/\.ipynb$/, '')}-requirements.txt`, text, 'text/plain')
      }, (error: unknown) => toast(`Could not export the requirements: ${error instanceof Error ? error.message : String(error)}.`))
    },
    onAnalysis: (analysis) => {
      const warnings = cellWarnings(analysis, describeCell)
      for (const cell of view.cells) cell.setWarnings(warnings.get(cell.id) ?? [])
    }
  })
  runs.onKernel((kernelState) => state.setNotice(stateNotice(kernelState, Date.now() / 1000), 'warning'))

  // Mob programming: mode, driver, rotation, pointing, chat (the `mob` map) ---------------
  const lockNote = new LockNote({
    me: me.user?.id ?? null,
    viewer: readOnly,
    now: () => mob.now(),
    askForKeyboard: () => void mob.take(),
    chat: async (text) => {
      const reply = await request('mob-chat', { text })
      if (reply === null || !reply.ok) toast(`Could not post to the chat: ${reply?.error ?? 'not connected'}.`)
      return reply?.ok === true
    },
    notify: toast
  })
  function showMode(mode: Mode): void {
    const shown = modeLabel(mode, view.readOnly)
    modeText.textContent = shown.text
    modeText.dataset.mode = shown.mode
  }

  const mob = new MobPanel({
    ymob: notebook.ydoc.getMap(DocMap.MOB_MAP),
    me: { id: me.user?.id ?? null, owner: me.role === 'owner', viewer: readOnly },
    request: (command, args) => request(command, args),
    notify: toast,
    pointTarget: () => view.pointTarget(),
    setPoint: (point) => awareness.setLocalStateField('point', point),
    describeCell,
    onState: (state, lock) => {
      mobState = state
      view.setLock(lock)
      lockNote.setState(state, lock)
      showMode(view.currentMode)
      document.body.classList.toggle('mob-locked', lock !== null)
      participants.refresh()
      kernel.refresh()
    }
  })

  // Toolbar -----------------------------------------------------------------------------
  typeSelect.addEventListener('change', () => {
    view.perform(`to-${typeSelect.value as CellType}`)
    view.focusActive()
  })
  const check = new CheckControl({
    doc: notebook.ydoc,
    canCheck: !readOnly,
    request: (command) => request(command),
    describeCell,
    jumpTo
  })
  const toolbar = notebookToolbar({
    readOnly,
    act,
    insertMarkdown: () => {
      follow.stop()
      view.perform('insert-below')
      view.perform('to-markdown')
      view.focusActive()
    },
    typeSelect,
    kernelControls: kernel.controls,
    recording: liveRecording({ doc: notebook.ydoc, view, path, canEdit: !readOnly, request: (command, args) => request(command as CommandName, args) }),
    mobBadge: mob.badge,
    check: check.button,
    status: [kernel.indicator, readOnly ? null : modeText],
    onHelp: openHelpDialog
  })

  const invite = me.role === 'owner' ? button(h('span', {}, icon(ICONS.share), ' Invite'), 'Invite someone to pair', () => openInviteDialog(api, path), { class: 'btn' }) : null
  const people = me.role === 'owner' ? button('People', 'People and access', () => openPeopleDialog(api), { class: 'btn' }) : null
  let twinByDefault = true // what the server does for a notebook naming no pairing (listing says)
  const twin = twinSwitch(notebook, !readOnly, () => twinByDefault)
  const name = path.split('/').pop() ?? path
  document.title = `${name} · pairbook`
  append(layout, [h('main', { class: 'notebook-main' }, banner.element, view.element), h('aside', { class: 'sidebar' }, sidebarWidth.handle, h('div', { class: 'sidebar-panels' }, mob.element, participants.element, kernel.element, state.element))])
  app.replaceChildren(
    topbar(
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/' }, 'Notebooks'), h('span', { 'aria-hidden': 'true' }, '/'), h('span', { class: 'nb-title', 'aria-current': 'page' }, path)),
      check.verdict,
      h('div', { class: 'spacer' }),
      status.element,
      participants.avatars,
      twin,
      downloadMenu(api, path, toast),
      people,
      invite
    ),
    toolbar.element,
    layout
  )
  toolbar.start()
  view.element.classList.add('loading')

  // Connection ----------------------------------------------------------------------------
  const connection = new Connection({
    wsOrigin: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`,
    path,
    doc: notebook.ydoc,
    awareness,
    ticket: () => api.ticket(),
    onPermissionDenied: (reason) => {
      banner.add(
        'denied',
        'error',
        `The server refused your change: ${reason || 'permission denied'}. Reload to see the notebook as it is.`,
        button('Reload', 'Reload the page', () => location.reload(), { class: 'btn' })
      )
      // In mob mode the refused edits are typing that reached the server after the keyboard
      // passed on: count them and hold them for an offer to the new driver, as typing into
      // a locked editor is.
      if (reason.startsWith('mob mode')) void holdRefused()
    }
  })
  async function holdRefused(): Promise<void> {
    // A refusal of what a reconnecting page sends comes while it syncs: ask once it has.
    const provider = connection.provider
    if (!provider.synced) await new Promise<void>((resolve) => provider.once('sync', () => resolve()))
    const reply = await request('mob-taken', { client: notebook.ydoc.clientID })
    if (reply === null || !reply.ok) return
    const lost = unappliedText(notebook.ydoc, Number((reply.result as { clock?: unknown }).clock ?? 0))
    const cell = lost.cellId === null ? null : view.cellById(lost.cellId)
    lockNote.refused(cell?.element ?? null, lost.text)
  }
  request = (command, args = {}) => connection.command(command, args)
  send = async (command, args = {}) => {
    const reply = await connection.command(command, args)
    if (!reply.ok) toast(refusalMessage(command, reply.error))
    return reply.ok
  }
  connection.onEvent((event) => {
    if (isInputRequest(event)) view.askInput(event)
    widgets.handleEvent(event as Record<string, unknown>)
    showFileEvent(event, banner, toast)
  })
  let wasConnected = false
  connection.subscribe((state) => {
    status.show(state)
    banner.showConnection(state, readOnly)
    if (state.kind === 'connected') {
      view.element.classList.remove('loading')
      if (!wasConnected) {
        void kernel.loadKernels()
        void mob.syncClock()
        void api.notebooks().then((entries) => {
          twinByDefault = entries.find((entry) => entry.path === path)?.twin !== undefined
          twin.refresh()
        }, () => undefined)
      }
    }
    if (wasConnected && state.kind !== 'connected') widgets.connectionLost()
    if (endIfClosed(state, !view.element.classList.contains('loading'), { app, path, view: view.element, stop: () => connection.destroy() })) return
    wasConnected = state.kind === 'connected'
  })

  new CursorLabels(awareness)

  // Presence and follow mode --------------------------------------------------------------
  let frame = 0
  const renderPresence = (): void => {
    frame = 0
    const people = participantsFrom(awareness.getStates() as Map<number, AwarenessState>, awareness.clientID)
    participants.show(people)
    mob.setPresent(people.map((p) => p.userId))
    view.setPeople(participantsByCell(people))
    renderPointers(view, pointersFrom(awareness.getStates() as Map<number, AwarenessState>, awareness.clientID))
    follow.track(people)
  }
  awareness.on('change', () => {
    if (frame === 0) frame = requestAnimationFrame(renderPresence)
  })
  renderPresence()
  shareViewport(view, (cell) => awareness.setLocalStateField('viewport', cell), () => awareness.getLocalState()?.viewport)

  listenForPageKeys(view, { name, viewer: readOnly, connection: () => connection.state, notify: toast })
  window.addEventListener('pagehide', () => connection.destroy())
  // For tests and the benchmark: the live objects, read-only by convention.
  Object.assign(window, { pairbook: { notebook, connection, view, awareness, runs, mob } })
}
