/** The notebook on screen: its cells in document order, the selected cell, Jupyter's
 * command and edit modes, and the keyboard model that drives them. */

import type { YCellType, YNotebook } from '@jupyter/ydoc'
import { type Extension } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import { button, h } from '../dom'
import type { InputRequest } from '../commands'
import type { KernelAssist } from '../editor/kernelAssist'
import { NotebookSearch } from '../editor/notebookSearch'
import { detectIndentUnit } from '../editor/pythonEditing'
import type { RunStore } from '../kernel/runStore'
import type { TimeFrame } from '../kernel/runs'
import type { Participant } from '../panels/presence'
import { changeCellType, deleteCell, indexOfCell, insertCell, moveCell, type CellType } from './actions'
import { numberCells } from './cellNumbers'
import { type CellHost, CellView } from './cellView'
import { CommandKeys, EDITING_ACTIONS, KERNEL_ACTIONS, type KeyInput, type NotebookAction } from './keys'
import type { WidgetViews } from './outputs'

export type Mode = 'command' | 'edit'

export type KernelAction = 'run-above' | 'run-below' | 'interrupt' | 'restart'

export interface NotebookViewOptions {
  notebook: YNotebook
  awareness: Awareness
  readOnly: boolean
  /** Called when the selected cell or the mode changes. */
  onSelection?: (cell: CellView | null, mode: Mode) => void
  /** A person navigated themselves (follow mode stops). */
  onUserNavigation?: () => void
  onHelp?: () => void
  /** Tells the person something briefly (e.g. that viewers cannot edit). */
  notify?: (message: string) => void
  /** The runs in the document (pairbook's `executions` map). */
  runs: RunStore
  /** Run these code cells in the shared kernel (not called for viewers). */
  onRun?: (cellIds: string[]) => void
  /** Run above / below the cell, interrupt or restart the kernel (not called for viewers). */
  onKernelAction?: (action: KernelAction, cellId: string | null) => void
  /** Answer an input() prompt. */
  onInputReply?: (execution: string, value: string) => void
  /** The replay: runs' times are told relative to this moment (seconds since the epoch)
   * rather than to now. */
  moment?: () => number
  /** While read-only (a viewer, or locked in mob mode): a key typed into an editor, or a
   * run asked for. */
  onLockedInput?: (cell: CellView | null, input: LockedInput) => void
  /** The shared kernel's completion and help in the editors. */
  assist?: KernelAssist
  /** The room's shared widgets: draws widget view outputs, locked while editing is. */
  widgets?: WidgetViews & { setReadOnly(readOnly: boolean): void }
}

export type LockedInput = { kind: 'key'; key: string; ctrl: boolean; meta: boolean } | { kind: 'run' }

/** How often "2 min ago" is brought up to date. */
const CLOCK_MS = 15_000

/** Cells within this distance of the viewport get a live editor. */
const NEAR_MARGIN = '900px 0px'

type CellsDelta = Array<{ insert?: YCellType[]; delete?: number; retain?: number }>

export class NotebookView implements CellHost {
  readonly element: HTMLElement
  readonly awareness: Awareness
  readonly undoManager: Y.UndoManager
  readonly viewer: boolean
  readonly notebookKeys: Extension
  readonly runs: RunStore
  readonly assist: KernelAssist | null
  readonly times: { now(): number; frame: TimeFrame }
  private readonly notebook: YNotebook
  private readonly list: HTMLElement
  private readonly empty: HTMLElement
  private readonly views: CellView[] = []
  private readonly byElement = new WeakMap<Element, CellView>()
  private readonly keys = new CommandKeys()
  private readonly observer: IntersectionObserver
  private active: CellView | null = null
  private mode: Mode = 'command'
  private people = new Map<string, Participant[]>()
  /** Why editing is locked for this editor right now (mob mode), or null. */
  private lock: string | null = null

  constructor(private readonly options: NotebookViewOptions) {
    this.notebook = options.notebook
    this.awareness = options.awareness
    this.viewer = options.readOnly
    this.runs = options.runs
    this.assist = options.assist ?? null
    this.times = options.moment === undefined ? { now: () => Date.now() / 1000, frame: 'now' } : { now: options.moment, frame: 'moment' }
    // The notebook's own UndoManager tracks only this browser's origins: its YNotebook
    // and (added by y-codemirror.next) each of its editors. Never the provider's.
    this.undoManager = options.notebook.undoManager
    this.notebookKeys = this.editModeKeys()
    this.list = h('div', { class: 'cells', role: 'list', 'aria-label': 'Notebook cells' })
    this.empty = h(
      'div',
      { class: 'empty-notebook', hidden: true },
      h('p', {}, 'This notebook has no cells yet.'),
      this.readOnly
        ? null
        : button('Add a code cell', 'Add a code cell', () => this.perform('insert-below'), {
            class: 'btn primary',
            shortcut: 'B'
          })
    )
    this.search = this.createSearch()
    this.element = h('div', { class: `notebook${this.readOnly ? ' read-only' : ''}` }, this.search.element, this.list, this.empty)
    this.notebook.ydoc.on('afterTransaction', this.onTransaction)
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) this.byElement.get(entry.target)?.setNear(entry.isIntersecting)
      },
      { rootMargin: NEAR_MARGIN }
    )
    this.list.addEventListener('keydown', (event) => this.onKeydown(event))
    // Capture: a read-only editor takes the key without a word; the person hears why.
    this.list.addEventListener('keydown', (event) => this.onLockedKey(event), true)
    this.list.addEventListener('focusin', (event) => {
      const target = event.target as Element
      const cell = this.cellOf(target)
      if (cell === null) return
      if (target.closest('.cm-editor') !== null) this.select(cell, 'edit')
      else if (target === cell.element) this.select(cell, 'command')
    })
    this.list.addEventListener('focusout', (event) => {
      const next = event.relatedTarget as Element | null
      if (next === null || !this.list.contains(next)) this.setMode('command')
    })
    this.notebook.changed.connect(this.onChanged, this)
    this.insertViews(0, this.notebook.cells)
    this.afterStructureChange()
    this.stopRuns = this.runs.onCells((ids) => {
      for (const id of ids) this.cellById(id)?.refreshRun()
    })
    this.clock = window.setInterval(() => {
      for (const view of this.views) view.refreshRun()
    }, CLOCK_MS)
  }

  private indent: string | null = null

  /** The indent unit of the notebook's code cells (4 spaces unless they say otherwise),
   * found once, when the first editor opens. */
  get indentUnit(): string {
    this.indent ??= detectIndentUnit(this.views.filter((view) => view.type === 'code').map((view) => view.source))
    return this.indent
  }

  /** Editing is off: for viewers always, for navigators while someone else drives. */
  get readOnly(): boolean {
    return this.viewer || this.lock !== null
  }

  get canRun(): boolean {
    return !this.readOnly
  }

  /** The selected cell and its selected lines: where this person points. */
  pointTarget(): { cell: string; from: number; to: number } | null {
    if (this.active === null) return null
    const [from, to] = this.active.selectedLines()
    return { cell: this.active.id, from, to }
  }

  /** Mob mode: lock editing (the reason is what a key press says) or unlock it (null). */
  setLock(reason: string | null): void {
    if (this.viewer || reason === this.lock) return
    this.lock = reason
    this.element.classList.toggle('mob-locked', reason !== null)
    for (const view of this.views) view.setReadOnly(this.readOnly)
    this.options.widgets?.setReadOnly(this.readOnly)
  }

  get widgets(): WidgetViews | null {
    return this.options.widgets ?? null
  }

  private readonly stopRuns: () => void
  private readonly clock: number

  replyInput(execution: string, value: string): void {
    this.options.onInputReply?.(execution, value)
  }

  /** An input() prompt for a run of this person's: shown in its cell. */
  askInput(request: InputRequest): void {
    const cell = this.cellById(request.cell)
    if (cell === null) return
    cell.askInput(request)
    this.reveal(cell)
  }

  /** Runs the cells, if this person may (viewers may not). */
  run(cells: CellView[]): void {
    if (!this.canRun) {
      this.options.notify?.('You are viewing this notebook: viewers cannot run cells.')
      return
    }
    const ids = cells.filter((cell) => cell.type === 'code').map((cell) => cell.id)
    if (ids.length > 0) this.options.onRun?.(ids)
  }

  get cells(): readonly CellView[] {
    return this.views
  }

  get activeCell(): CellView | null {
    return this.active
  }

  get currentMode(): Mode {
    return this.mode
  }

  indexOf(cell: CellView): number {
    return this.views.indexOf(cell)
  }

  cellById(id: string): CellView | null {
    return this.views.find((view) => view.id === id) ?? null
  }

  // CellHost ---------------------------------------------------------------------------

  editorFocused(cell: CellView): void {
    this.select(cell, 'edit')
  }

  selected(cell: CellView): void {
    this.options.onUserNavigation?.()
    this.select(cell, cell.editorFocused ? 'edit' : 'command')
  }

  editRequested(cell: CellView): void {
    this.options.onUserNavigation?.()
    this.select(cell, 'command')
    this.perform('edit')
  }

  actionRequested(cell: CellView, action: NotebookAction): void {
    this.options.onUserNavigation?.()
    this.select(cell, 'command')
    this.perform(action)
  }

  // Keyboard ---------------------------------------------------------------------------

  /** Handles a command-mode key press; returns whether it did something. */
  handleKey(input: KeyInput): boolean {
    const action = this.keys.press(input)
    if (action === null) return false
    this.options.onUserNavigation?.()
    this.perform(action)
    return true
  }

  private onKeydown(event: KeyboardEvent): void {
    const target = event.target as Element
    if (target.closest('.cm-editor, button, input, select, textarea, a') !== null) return
    const handled = this.handleKey({
      key: event.key,
      shift: event.shiftKey,
      ctrl: event.ctrlKey,
      alt: event.altKey,
      meta: event.metaKey
    })
    if (handled) {
      event.preventDefault()
      event.stopPropagation()
    }
  }

  private onLockedKey(event: KeyboardEvent): void {
    if (!this.readOnly || (event.target as Element).closest('.cm-editor') === null) return
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) return // a run: perform() tells
    this.options.onLockedInput?.(this.cellOf(event.target as Element), { kind: 'key', key: event.key, ctrl: event.ctrlKey, meta: event.metaKey })
  }

  /** Edit-mode keys, given to every cell editor at the highest precedence. */
  private editModeKeys(): Extension {
    const from = (view: EditorView): CellView | null => this.cellOf(view.dom)
    const run = (action: NotebookAction) => (view: EditorView) => {
      const cell = from(view)
      if (cell === null) return false
      this.select(cell, 'edit')
      this.perform(action)
      return true
    }
    return keymap.of([
      { key: 'Escape', run: (view) => this.leaveEditing(from(view)) },
      {
        key: 'Mod-f',
        run: (view) => {
          const { main } = view.state.selection
          this.search.open(view.state.sliceDoc(main.from, main.to))
          return true
        }
      },
      { key: 'Shift-Enter', run: run('run-next') },
      { key: 'Mod-Enter', run: run('run-stay') },
      { key: 'Alt-Enter', run: run('run-insert') },
      {
        key: 'ArrowUp',
        run: (view) => {
          const { main } = view.state.selection
          if (!main.empty || view.state.doc.lineAt(main.head).number !== 1) return false
          return this.moveEditing(from(view), -1)
        }
      },
      {
        key: 'ArrowDown',
        run: (view) => {
          const { main } = view.state.selection
          const doc = view.state.doc
          if (!main.empty || doc.lineAt(main.head).number !== doc.lines) return false
          return this.moveEditing(from(view), 1)
        }
      }
    ])
  }

  private leaveEditing(cell: CellView | null): boolean {
    if (cell === null) return false
    cell.leaveEdit()
    this.select(cell, 'command')
    return true
  }

  private moveEditing(cell: CellView | null, step: -1 | 1): boolean {
    if (cell === null) return false
    const next = this.views[this.indexOf(cell) + step]
    if (next === undefined) return false
    this.options.onUserNavigation?.()
    cell.leaveEdit()
    this.select(next, 'edit')
    next.enterEdit(step === 1 ? 'start' : 'end')
    this.reveal(next)
    return true
  }

  // Actions ----------------------------------------------------------------------------

  /** Does one of the notebook's actions on the selected cell. */
  perform(action: NotebookAction): void {
    if (this.readOnly && EDITING_ACTIONS.has(action)) {
      this.options.notify?.(this.lock ?? 'You are viewing this notebook: editing is turned off for viewers.')
      return
    }
    if (KERNEL_ACTIONS.has(action)) {
      if (!this.canRun && !(action === 'interrupt' && !this.viewer)) {
        this.options.notify?.(this.lock ?? 'You are viewing this notebook: viewers cannot use the kernel.')
        return
      }
      if ((action === 'run-above' || action === 'run-below') && this.active === null) return
      this.options.onKernelAction?.(action as KernelAction, this.active?.id ?? null)
      return
    }
    const cell = this.active
    const index = cell === null ? -1 : this.indexOf(cell)
    const structural = (change: () => void): void => {
      // A structural change is its own undo step, never merged with typing around it.
      this.undoManager.stopCapturing()
      change()
      this.undoManager.stopCapturing()
    }
    switch (action) {
      case 'edit':
        if (cell !== null) {
          cell.enterEdit()
          this.select(cell, 'edit')
        }
        return
      case 'run-next':
      case 'run-stay':
      case 'run-insert': {
        if (cell === null) return
        // The cell's edits are already on the wire: the run request follows them.
        if (cell.type === 'code' && this.canRun) this.run([cell])
        else if (cell.type === 'code' && this.readOnly) this.options.onLockedInput?.(cell, { kind: 'run' })
        cell.leaveEdit()
        this.select(cell, 'command')
        if (action === 'run-stay') return
        const last = index === this.views.length - 1
        if (action === 'run-insert' || (last && !this.readOnly)) {
          structural(() => insertCell(this.notebook, index + 1, 'code'))
          this.selectIndex(index + 1, 'edit')
        } else {
          this.selectIndex(index + 1, 'command')
        }
        return
      }
      case 'insert-above':
      case 'insert-below': {
        const at = cell === null ? this.views.length : action === 'insert-above' ? index : index + 1
        if (cell?.isEditing) cell.leaveEdit()
        structural(() => insertCell(this.notebook, at, 'code'))
        this.selectIndex(at, 'command')
        return
      }
      case 'delete':
        if (cell === null) return
        structural(() => deleteCell(this.notebook, index))
        this.selectIndex(Math.min(index, this.views.length - 1), 'command')
        return
      case 'to-code':
      case 'to-markdown':
      case 'to-raw': {
        if (cell === null) return
        const type = action.slice(3) as CellType
        if (cell.type === type) return
        structural(() => changeCellType(this.notebook, index, type))
        this.selectIndex(index, 'command')
        return
      }
      case 'select-prev':
      case 'select-next':
        if (cell?.isEditing) cell.leaveEdit()
        this.selectIndex(Math.max(0, Math.min(index + (action === 'select-prev' ? -1 : 1), this.views.length - 1)), 'command')
        return
      case 'select-first':
      case 'select-last':
        if (cell?.isEditing) cell.leaveEdit()
        this.selectIndex(action === 'select-first' ? 0 : this.views.length - 1, 'command')
        return
      case 'move-up':
      case 'move-down': {
        if (cell === null) return
        const id = cell.id
        let landed = index
        structural(() => {
          landed = moveCell(this.notebook, index, index + (action === 'move-up' ? -1 : 1))
        })
        const moved = this.views[landed]
        this.selectIndex(moved !== undefined && moved.id === id ? landed : Math.max(0, indexOfCell(this.notebook, id)), 'command')
        return
      }
      case 'undo':
      case 'redo':
        if (action === 'undo') this.undoManager.undo()
        else this.undoManager.redo()
        if (this.active === null && this.views.length > 0) this.selectIndex(Math.max(0, index), 'command')
        return
      case 'help':
        this.options.onHelp?.()
        return
      case 'find':
        this.search.open()
        return
    }
  }

  // Selection --------------------------------------------------------------------------

  selectIndex(index: number, mode: Mode): void {
    const cell = this.views[Math.max(0, Math.min(index, this.views.length - 1))]
    if (cell === undefined) {
      this.select(null, 'command')
      return
    }
    this.select(cell, mode)
    if (mode === 'edit') cell.enterEdit('start')
    else cell.element.focus({ preventScroll: true })
    this.reveal(cell)
  }

  /** Gives the keyboard back to the selected cell (after a toolbar button, say). */
  focusActive(): void {
    if (this.mode === 'command') this.active?.element.focus({ preventScroll: true })
  }

  /** Scrolls just enough to show the cell (the selected one, after keyboard navigation). */
  reveal(cell: CellView): void {
    cell.element.scrollIntoView({ block: 'nearest' })
  }

  /** Scrolls so that the cell is in the middle of the screen (follow mode). */
  scrollToCell(id: string): void {
    const cell = this.cellById(id)
    if (cell === null) return
    cell.element.scrollIntoView({ block: 'center', behavior: 'smooth' })
    // Cells far away have estimated heights (content-visibility): as they are laid out during
    // the smooth scroll the target can move, and the scroll can end short of it. Check once it
    // has settled and jump the rest of the way.
    window.clearTimeout(this.scrollCheck)
    this.scrollCheck = window.setTimeout(() => {
      const box = cell.element.getBoundingClientRect()
      if (box.bottom < 0 || box.top > window.innerHeight) cell.element.scrollIntoView({ block: 'center' })
    }, 700)
  }
  private scrollCheck = 0

  /** The id of the cell at `y` pixels from the viewport's top (or the first below it). */
  cellIdAt(y: number): string | null {
    let low = 0
    let high = this.views.length - 1
    let found: CellView | null = null
    while (low <= high) {
      const mid = (low + high) >> 1
      const view = this.views[mid]!
      if (view.element.getBoundingClientRect().bottom > y) {
        found = view
        high = mid - 1
      } else {
        low = mid + 1
      }
    }
    return found?.id ?? null
  }

  private select(cell: CellView | null, mode: Mode): void {
    if (cell !== this.active) {
      const previous = this.active
      previous?.setActive(false)
      previous?.setMode(null)
      if (previous !== null && previous.type === 'markdown' && previous.isEditing && this.views.includes(previous)) {
        previous.leaveEdit(false)
      }
      this.active = cell
      cell?.setActive(true)
    }
    this.setMode(mode)
  }

  private setMode(mode: Mode): void {
    this.mode = mode
    this.active?.setMode(mode)
    this.element.classList.toggle('editing', mode === 'edit')
    this.publishSelection()
    this.options.onSelection?.(this.active, mode)
  }

  private publishSelection(): void {
    const state = this.awareness.getLocalState()
    if (state === null) return
    const cell = this.active?.id ?? null
    if (state.cell !== cell || state.mode !== this.mode) {
      this.awareness.setLocalState({ ...state, cell, mode: this.mode })
    }
  }

  // Presence ---------------------------------------------------------------------------

  /** Shows who else is in which cell. */
  setPeople(byCell: Map<string, Participant[]>): void {
    this.people = byCell
    for (const view of this.views) view.setPeople(byCell.get(view.id) ?? [])
  }

  // Structure --------------------------------------------------------------------------

  private onChanged(_sender: YNotebook, change: { cellsChange?: unknown }): void {
    if (change.cellsChange === undefined) return
    const delta = change.cellsChange as CellsDelta
    const previous = this.active
    const previousIndex = previous === null ? -1 : this.indexOf(previous)
    const wasEditing = previous?.editorFocused ?? false
    let index = 0
    for (const step of delta) {
      if (step.retain !== undefined) {
        index += step.retain
      } else if (step.delete !== undefined) {
        for (const view of this.views.splice(index, step.delete)) {
          this.observer.unobserve(view.element)
          view.destroy()
        }
      } else if (step.insert !== undefined) {
        this.insertViews(index, step.insert)
        index += step.insert.length
      }
    }
    let replacement: CellView | null = null
    if (previous !== null && !this.views.includes(previous)) {
      // Our cell went away: a move or a type change re-creates it with the same id.
      replacement = this.cellById(previous.id)
      if (replacement === null && this.views.length > 0) {
        replacement = this.views[Math.min(Math.max(previousIndex, 0), this.views.length - 1)] ?? null
      }
      this.active = null
      if (replacement !== null) {
        this.select(replacement, 'command')
        if (wasEditing && replacement.id === previous.id) replacement.enterEdit()
        else if (this.list.contains(document.activeElement) || document.activeElement === document.body) {
          replacement.element.focus({ preventScroll: true })
        }
      } else {
        this.select(null, 'command')
      }
    }
    this.afterStructureChange()
  }

  private insertViews(index: number, models: readonly YCellType[]): void {
    const before = this.views[index]?.element ?? null
    const created = models.map((model) => new CellView(model, this))
    const fragment = document.createDocumentFragment()
    for (const view of created) {
      fragment.append(view.element)
      this.byElement.set(view.element, view)
    }
    this.list.insertBefore(fragment, before)
    this.views.splice(index, 0, ...created)
    for (const view of created) {
      this.observer.observe(view.element)
      view.setPeople(this.people.get(view.id) ?? [])
    }
  }

  private afterStructureChange(): void {
    numberCells(this.views)
    this.empty.hidden = this.views.length > 0
    if (this.active === null && this.views.length > 0) {
      this.active = this.views[0]!
      this.active.setActive(true)
      this.publishSelection()
      this.options.onSelection?.(this.active, this.mode)
    }
  }

  private cellOf(node: Element): CellView | null {
    const element = node.closest('.cell')
    return element === null ? null : (this.byElement.get(element) ?? null)
  }

  // Find and replace -------------------------------------------------------------------

  readonly search: NotebookSearch
  private readonly onTransaction = (): void => this.search.documentChanged()

  searchHighlight(ysource: Y.Text): Extension {
    return this.search.highlighter(ysource)
  }

  private createSearch(): NotebookSearch {
    const notebook = this
    return new NotebookSearch({
      cells: () => this.views,
      get readOnly() {
        return notebook.readOnly
      },
      transact: (edit) => {
        this.undoManager.stopCapturing()
        this.notebook.transact(edit)
        this.undoManager.stopCapturing()
      },
      position: () => {
        const cell = this.active
        // In command mode the search starts at the selected cell's top; in edit mode, at the cursor.
        const offset = cell !== null && this.mode === 'edit' ? cell.cursorOffset() : 0
        return { cell: cell === null ? 0 : this.indexOf(cell), offset }
      },
      closed: (cellId) => {
        const cell = (cellId === null ? null : this.cellById(cellId)) ?? this.active
        if (cell === null) return
        if (cellId !== null && cell.type === 'code') {
          this.select(cell, 'edit')
          cell.enterEdit()
        } else {
          this.select(cell, 'command')
          cell.element.focus({ preventScroll: true })
        }
      }
    })
  }

  destroy(): void {
    this.notebook.ydoc.off('afterTransaction', this.onTransaction)
    this.notebook.changed.disconnect(this.onChanged, this)
    this.stopRuns()
    window.clearInterval(this.clock)
    this.observer.disconnect()
    for (const view of this.views) view.destroy()
    this.views.length = 0
  }
}
