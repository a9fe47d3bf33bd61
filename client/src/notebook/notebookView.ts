/** The notebook on screen: its cells (cellList), the selected cell and Jupyter's command
 * and edit modes (selection), the keyboard model that drives them (keys, editModeKeys) and
 * the actions it asks for (cellCommands), wired to the page. */

import type { YNotebook } from '@jupyter/ydoc'
import type { Extension } from '@codemirror/state'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import { button, h } from '../dom'
import type { InputRequest } from '../commands'
import type { KernelAssist } from '../editor/kernelAssist'
import type { NotebookSearch } from '../editor/notebookSearch'
import { detectIndentUnit } from '../editor/pythonEditing'
import type { RunStore } from '../kernel/runStore'
import type { TimeFrame } from '../kernel/runs'
import type { Participant } from '../panels/presence'
import { type CommandContext, performAction } from './cellCommands'
import { CellClipboard, tabStorage } from './cellClipboard'
import { CellList, type CellsDelta } from './cellList'
import type { CellHost } from './cellHost'
import type { CellView } from './cellView'
import { editModeKeys } from './editModeKeys'
import { searchCells } from './findInCells'
import { HeadingFolds } from './headingFolds'
import { HiddenOutputs } from './hiddenOutputs'
import { CommandModeKeys } from './commandModeKeys'
import type { KeyInput, NotebookAction } from './keys'
import { browserStorage, LineNumbers } from './lineNumbers'
import { forgetMathMacros } from './markdown'
import type { WidgetViews } from './outputs'
import type { NotebookViewOptions } from './notebookViewOptions'
import { CellSelection, type Mode } from './selection'

export type { KernelAction } from './cellCommands'
export type { LockedInput, NotebookViewOptions } from './notebookViewOptions'
export type { Mode } from './selection'

/** How often "2 min ago" is brought up to date. */
const CLOCK_MS = 15_000

export class NotebookView implements CellHost {
  readonly element: HTMLElement
  readonly awareness: Awareness
  readonly undoManager: Y.UndoManager
  readonly viewer: boolean
  readonly notebookKeys: Extension
  readonly runs: RunStore
  readonly assist: KernelAssist | null
  readonly times: { now(): number; frame: TimeFrame }
  readonly search: NotebookSearch
  private readonly notebook: YNotebook
  private readonly list: CellList
  private readonly selection: CellSelection
  private readonly empty: HTMLElement
  private readonly keys: CommandModeKeys
  private readonly commands: CommandContext
  /** This person's collapsed headings and line numbers: their view, not the document. */
  private readonly folds: HeadingFolds
  private readonly lineNumbers: LineNumbers
  private readonly hiddenOutputs = new HiddenOutputs(() => this.list.all)
  private readonly stopRuns: () => void
  private readonly clock: number
  /** Why editing is locked for this editor right now (mob mode), or null. */
  private lock: string | null = null
  private indent: string | null = null

  constructor(private readonly options: NotebookViewOptions) {
    forgetMathMacros() // macros one notebook's formulas define are for that notebook's only
    this.notebook = options.notebook
    this.awareness = options.awareness
    this.viewer = options.readOnly
    this.runs = options.runs
    this.assist = options.assist ?? null
    this.times = options.moment === undefined ? { now: () => Date.now() / 1000, frame: 'now' } : { now: options.moment, frame: 'moment' }
    // The notebook's own UndoManager tracks only this browser's origins: its YNotebook
    // and (added by y-codemirror.next) each of its editors. Never the provider's.
    this.undoManager = options.notebook.undoManager
    this.list = new CellList(this)
    this.empty = h(
      'div',
      { class: 'empty-notebook', hidden: true },
      h('p', {}, 'This notebook has no cells yet.'),
      this.readOnly ? null : button('Add a code cell', 'Add a code cell', () => this.perform('insert-below'), { class: 'btn primary', shortcut: 'B' })
    )
    this.search = searchCells({ notebook: this.notebook, cells: this.list, view: this, selection: () => this.selection, reveal: (id) => this.folds.show(id) })
    this.element = h('div', { class: `notebook${this.readOnly ? ' read-only' : ''}` }, this.search.element, this.list.element, this.empty)
    this.folds = new HeadingFolds(() => this.list.all, () => this.selection)
    this.lineNumbers = new LineNumbers(browserStorage(), (shown) => this.element.classList.toggle('line-numbers', shown))
    this.selection = new CellSelection(this.list, {
      ...options,
      element: this.element,
      onSelection: (cell, mode) => {
        if (cell !== null) this.folds.show(cell.id) // selected, found or followed to: shown
        options.onSelection?.(cell, mode)
      }
    })
    this.notebookKeys = editModeKeys({
      selection: this.selection,
      cellOf: (node) => this.list.cellOf(node),
      perform: (action) => this.perform(action),
      openSearch: (text) => this.search.open(text)
    })
    this.commands = this.commandContext()
    const view = this
    this.keys = new CommandModeKeys({
      get readOnly() {
        return view.readOnly
      },
      replay: options.moment !== undefined,
      perform: (action) => this.perform(action),
      cellOf: (node) => this.list.cellOf(node),
      onUserNavigation: () => options.onUserNavigation?.(),
      onLockedInput: (cell, input) => options.onLockedInput?.(cell, input)
    })
    this.notebook.ydoc.on('afterTransaction', this.onTransaction)
    this.listen(this.list.element)
    this.notebook.changed.connect(this.onChanged, this)
    this.list.insert(0, this.notebook.cells)
    this.afterStructureChange()
    this.folds.refresh()
    this.stopRuns = this.runs.onCells((ids) => {
      for (const id of ids) this.cellById(id)?.refreshRun()
    })
    this.clock = window.setInterval(() => {
      for (const view of this.list.all) view.refreshRun()
    }, CLOCK_MS)
  }

  private listen(list: HTMLElement): void {
    this.keys.listen(list)
    this.selection.followFocus(list)
  }

  /** The indent unit of the notebook's code cells (4 spaces unless they say otherwise),
   * found once, when the first editor opens. */
  get indentUnit(): string {
    this.indent ??= detectIndentUnit(this.list.all.filter((view) => view.type === 'code').map((view) => view.source))
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
    const active = this.selection.active
    if (active === null) return null
    const [from, to] = active.selectedLines()
    return { cell: active.id, from, to }
  }

  /** Mob mode: lock editing (the reason is what a key press says) or unlock it (null). */
  setLock(reason: string | null): void {
    if (this.viewer || reason === this.lock) return
    this.lock = reason
    this.element.classList.toggle('mob-locked', reason !== null)
    for (const view of this.list.all) view.setReadOnly(this.readOnly)
    this.options.widgets?.setReadOnly(this.readOnly)
  }

  get widgets(): WidgetViews | null {
    return this.options.widgets ?? null
  }

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
    return this.list.all
  }

  get activeCell(): CellView | null {
    return this.selection.active
  }

  get currentMode(): Mode {
    return this.selection.mode
  }

  indexOf(cell: CellView): number {
    return this.list.indexOf(cell)
  }

  cellById(id: string): CellView | null {
    return this.list.cellById(id)
  }

  // CellHost ---------------------------------------------------------------------------

  editorFocused(cell: CellView): void {
    this.selection.select(cell, 'edit')
  }

  selected(cell: CellView, extend: boolean): void {
    this.options.onUserNavigation?.()
    if (extend) {
      this.selection.extendTo(cell)
    } else {
      this.selection.collapse()
      this.selection.select(cell, cell.editorFocused ? 'edit' : 'command')
    }
  }

  editRequested(cell: CellView): void {
    this.options.onUserNavigation?.()
    this.selection.select(cell, 'command')
    this.perform('edit')
  }

  actionRequested(cell: CellView, action: NotebookAction): void {
    this.options.onUserNavigation?.()
    this.selection.select(cell, 'command')
    this.perform(action)
  }

  // Keyboard and actions ---------------------------------------------------------------

  /** Handles a command-mode key press; returns whether it did something. */
  handleKey(input: KeyInput): boolean {
    return this.keys.handleKey(input)
  }

  /** Does one of the notebook's actions on the selected cell. */
  perform(action: NotebookAction): void {
    performAction(this.commands, action)
  }

  private commandContext(): CommandContext {
    const view = this
    const options = this.options
    return {
      notebook: this.notebook,
      cells: this.list,
      selection: this.selection,
      undoManager: this.undoManager,
      clipboard: options.clipboard ?? new CellClipboard(tabStorage()),
      get readOnly() {
        return view.readOnly
      },
      get canRun() {
        return view.canRun
      },
      viewer: this.viewer,
      get lock() {
        return view.lock
      },
      folds: this.folds,
      toggleLineNumbers: () => this.lineNumbers.toggle(),
      toggleOutputs: (ids) => this.hiddenOutputs.toggle(ids),
      run: (cells) => this.run(cells),
      notify: (message) => options.notify?.(message),
      lockedRun: (cell) => options.onLockedInput?.(cell, { kind: 'run' }),
      kernelAction: (action, cellId) => options.onKernelAction?.(action, cellId),
      help: () => options.onHelp?.(),
      find: () => this.search.open()
    }
  }

  // Selection and scrolling ------------------------------------------------------------

  selectIndex(index: number, mode: Mode): void {
    this.selection.selectIndex(index, mode)
  }

  /** Gives the keyboard back to the selected cell (after a toolbar button, say). */
  focusActive(): void {
    this.selection.focusActive()
  }

  /** Scrolls just enough to show the cell (the selected one, after keyboard navigation). */
  reveal(cell: CellView): void {
    this.selection.reveal(cell)
  }

  /** Scrolls so that the cell is in the middle of the screen (follow mode). */
  scrollToCell(id: string): void {
    this.folds.show(id) // a cell followed to is shown, though a collapsed heading hid it
    this.list.scrollToCell(id)
  }

  /** The id of the cell at `y` pixels from the viewport's top (or the first below it). */
  cellIdAt(y: number): string | null {
    return this.list.cellIdAt(y)
  }

  /** Shows who else is in which cell. */
  setPeople(byCell: Map<string, Participant[]>): void {
    this.list.setPeople(byCell)
  }

  // Structure --------------------------------------------------------------------------

  private onChanged(_sender: YNotebook, change: { cellsChange?: unknown }): void {
    if (change.cellsChange === undefined) return
    const previous = this.selection.active
    const previousIndex = previous === null ? -1 : this.indexOf(previous)
    const wasEditing = previous?.editorFocused ?? false
    this.list.apply(change.cellsChange as CellsDelta)
    this.hiddenOutputs.paint() // a moved or retyped cell is a new view
    this.selection.afterCellsChanged(previous, previousIndex, wasEditing)
    this.empty.hidden = this.list.length > 0
  }

  private afterStructureChange(): void {
    this.list.renumber()
    this.empty.hidden = this.list.length > 0
    this.selection.selectFirstIfNone()
  }

  // Find and replace -------------------------------------------------------------------

  private readonly onTransaction = (): void => {
    this.search.documentChanged()
    this.folds.schedule()
  }

  searchHighlight(ysource: Y.Text): Extension {
    return this.search.highlighter(ysource)
  }

  destroy(): void {
    this.notebook.ydoc.off('afterTransaction', this.onTransaction)
    this.notebook.changed.disconnect(this.onChanged, this)
    this.stopRuns()
    this.folds.destroy()
    window.clearInterval(this.clock)
    this.list.destroy()
  }
}
