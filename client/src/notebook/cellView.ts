/** One cell on screen: its source (a live editor near the viewport, highlighted text
 * elsewhere), its rendered markdown, its outputs and who else is in it. */

import type { YCellType, YCodeCell } from '@jupyter/ydoc'
import { EditorView } from '@codemirror/view'
import type * as Y from 'yjs'

import type { InputRequest } from '../commands'
import { createCellEditor, setEditorReadOnly } from '../editor/cellEditor'
import { pointerLines } from '../mob/pointerLines'
import { renderStaticCode, type SourceLanguage } from '../editor/staticCode'
import { append, h } from '../dom'
import { isActive } from '../kernel/runs'
import type { Participant } from '../panels/presence'
import type { CellType } from './actions'
import type { Attachments } from './attachments'
import { listenForCellClicks } from './cellClicks'
import type { CellHost } from './cellHost'
import { CellInputPrompt } from './cellInputPrompt'
import { CellPresence } from './cellPresence'
import { CellRuns } from './cellRuns'
import { cellTools, runCellButton } from './cellTools'
import { CellWarnings } from './cellWarnings'
import type { NotebookAction } from './keys'
import { renderMarkdown } from './markdown'
import type { OutputJson } from './mimeBundle'
import { renderOutputs } from './outputs'

type Render = 'source' | 'outputs' | 'prompt' | 'run'

export class CellView {
  /** Kept: once its cell is removed (a move re-creates it) the model no longer holds it. */
  readonly id: string
  readonly element: HTMLElement
  private readonly prompt: HTMLElement
  private readonly sourceHost: HTMLElement
  private readonly rendered: HTMLElement | null
  private readonly outputs: HTMLElement | null
  private readonly runs: CellRuns | null
  private readonly presence: CellPresence
  private readonly inputPrompt: CellInputPrompt
  private readonly warnings = new CellWarnings()
  private editor: EditorView | null = null
  private near = false
  private editing = false
  private pending = new Set<Render>()
  private frame = 0
  private readonly onSource = (): void => {
    this.schedule('source')
    if (this.runs !== null && this.runs.record !== null) this.schedule('run')
  }
  private readonly onOutputs = (): void => this.schedule('outputs')
  private readonly onModel = (event: Y.YMapEvent<unknown>): void => {
    if (event.keysChanged.has('execution_count')) this.schedule('prompt')
    if (event.keysChanged.has('attachments')) this.schedule('source')
    if (event.keysChanged.has('outputs')) this.schedule('outputs')
  }

  constructor(
    readonly model: YCellType,
    private readonly host: CellHost
  ) {
    this.id = String(model.ymodel.get('id') ?? '')
    const type = this.type
    this.element = h('div', {
      class: `cell cell-${type}`,
      role: 'listitem',
      tabindex: -1,
      'data-cell-id': this.id,
      'data-cell-type': type
    })
    this.presence = new CellPresence(this.element)
    this.inputPrompt = new CellInputPrompt(this.element, (execution, value) => host.replyInput(execution, value))
    this.prompt = h('div', { class: 'cell-prompt', 'aria-hidden': 'true' })
    this.sourceHost = h('div', { class: 'cell-source' })
    this.sourceHost.addEventListener('mousedown', (event) => this.clickSource(event))
    const ondblclick = (): void => this.host.editRequested(this)
    this.rendered = type === 'markdown' ? h('div', { class: 'cell-rendered markdown-body', ondblclick }) : null
    this.outputs =
      type === 'code' ? h('div', { class: 'cell-outputs', role: 'log', 'aria-label': 'Outputs' }) : null
    this.runs = type === 'code' ? new CellRuns(host, () => this.id) : null
    const act = (action: NotebookAction) => (event: MouseEvent) => {
      event.stopPropagation()
      this.host.actionRequested(this, action)
    }
    const gutter = h(
      'div',
      { class: 'cell-gutter' },
      this.prompt,
      type === 'code' && host.canRun ? runCellButton(act) : null,
      this.presence.avatars
    )
    const input = h('div', { class: 'cell-input' }, this.sourceHost, this.rendered)
    const body = h('div', { class: 'cell-body' }, input, this.runs?.element, this.warnings.element, this.outputs)
    append(this.element, [gutter, body, host.viewer ? null : cellTools(act, type === 'code'), this.presence.tag])
    listenForCellClicks(this.element, (extend) => this.host.selected(this, extend), () => this.editorFocused)
    model.ysource.observe(this.onSource)
    model.ymodel.observe(this.onModel)
    this.codeModel?.youtputs.observeDeep(this.onOutputs)
    this.renderSource()
    this.renderRun()
    this.renderPrompt()
    this.renderOutputs()
  }

  /** The runs of this cell changed, or time passed ("2 min ago"). */
  refreshRun(): void {
    if (this.type === 'code') this.schedule('run')
  }

  /** An input() prompt of a run this person asked for: a field under the outputs. */
  askInput(request: InputRequest): void {
    if (this.outputs !== null) this.inputPrompt.ask(request, this.outputs)
  }

  /** Shows the kernel-state warnings for this cell (an empty list hides them). */
  setWarnings(items: readonly { kind: string; text: string }[]): void {
    this.warnings.set(items)
  }

  get type(): CellType {
    return this.model.cell_type as CellType
  }

  get source(): string {
    return this.model.ysource.toString()
  }

  get ysource(): Y.Text {
    return this.model.ysource
  }

  /** Where the cursor is in the source (0 without an editor). */
  cursorOffset(): number {
    return this.editor?.state.selection.main.head ?? 0
  }

  /** The editor's cursors and selections, as source offsets (none without an editor). */
  selectionRanges(): Array<{ from: number; to: number }> {
    return this.editor?.state.selection.ranges.map(({ from, to }) => ({ from, to })) ?? []
  }

  /** Selects a range of the source and scrolls to it (a search match); the keyboard stays
   * where it is. A rendered markdown cell is only scrolled to. */
  showRange(from: number, to: number): void {
    if (this.type === 'markdown' && !this.editing) {
      this.element.scrollIntoView({ block: 'center' })
      return
    }
    const view = this.mountEditor()
    const length = view.state.doc.length
    view.dispatch({
      selection: { anchor: Math.min(from, length), head: Math.min(to, length) },
      effects: EditorView.scrollIntoView(Math.min(from, length), { y: 'center' })
    })
  }

  /** Whether this cell's editor holds the keyboard focus. */
  get editorFocused(): boolean {
    return this.editor?.hasFocus ?? false
  }

  get isEditing(): boolean {
    return this.type === 'markdown' ? this.editing : this.editorFocused
  }

  /** Near the viewport cells get a live editor; far ones keep highlighted text. */
  setNear(near: boolean): void {
    this.near = near
    if (near) this.mountEditorIfShown()
    else if (this.editor !== null && !this.editor.hasFocus && !this.editing) this.unmountEditor()
  }

  setActive(active: boolean): void {
    // Roving tabindex: Tab reaches the notebook at its selected cell.
    this.element.tabIndex = active ? 0 : -1
    this.element.classList.toggle('active', active)
    if (active) this.element.setAttribute('aria-current', 'true')
    else this.element.removeAttribute('aria-current')
  }

  /** One of several selected cells (Shift+↑ ↓, Shift+click). */
  setSelected(selected: boolean): void {
    this.element.classList.toggle('selected', selected)
  }

  setMode(mode: 'edit' | 'command' | 'input' | null): void {
    this.element.classList.toggle('mode-edit', mode === 'edit')
    this.element.classList.toggle('mode-input', mode === 'input')
  }

  /** Puts the keyboard in this cell's editor, the cursor at its start or end. */
  enterEdit(where: 'start' | 'end' | 'keep' = 'keep'): void {
    if (this.type === 'markdown' && !this.editing) {
      if (this.host.readOnly) return
      this.editing = true
      this.showMarkdownSource(true)
    }
    const view = this.mountEditor()
    if (where !== 'keep') {
      const pos = where === 'start' ? 0 : view.state.doc.length
      view.dispatch({ selection: { anchor: pos } })
    }
    view.focus()
  }

  /** Leaves edit mode: markdown is rendered; the keyboard goes back to the cell unless
   * `focus` is false (another cell is taking it). */
  leaveEdit(focus = true): void {
    if (this.type === 'markdown' && this.editing) {
      this.editing = false
      this.unmountEditor()
      this.showMarkdownSource(false)
    }
    if (focus) this.element.focus({ preventScroll: true })
    if (!this.near) this.unmountEditor()
  }

  /** The other people whose selected cell this is. */
  setPeople(people: Participant[]): void {
    this.presence.set(people)
  }

  /** Updates the accessible label with the cell's position. */
  setPosition(index: number): void {
    const kind = this.type === 'code' ? 'Code' : this.type === 'markdown' ? 'Markdown' : 'Raw'
    this.element.setAttribute('aria-label', `${kind} cell ${index + 1}`)
  }

  destroy(): void {
    cancelAnimationFrame(this.frame)
    this.model.ysource.unobserve(this.onSource)
    this.model.ymodel.unobserve(this.onModel)
    this.codeModel?.youtputs.unobserveDeep(this.onOutputs)
    this.editor?.destroy()
    this.editor = null
    this.element.remove()
  }

  private get codeModel(): YCodeCell | null {
    return this.model.cell_type === 'code' ? (this.model as YCodeCell) : null
  }

  private get language(): SourceLanguage {
    return this.type === 'code' ? 'python' : this.type === 'markdown' ? 'markdown' : 'plain'
  }

  private schedule(what: Render): void {
    this.pending.add(what)
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      const pending = this.pending
      this.pending = new Set()
      if (pending.has('source')) this.renderSource()
      if (pending.has('outputs')) this.renderOutputs()
      if (pending.has('run')) this.renderRun()
      if (pending.has('prompt') || pending.has('run')) this.renderPrompt()
    })
  }

  private renderSource(): void {
    if (this.type === 'markdown' && !this.editing && this.rendered !== null) {
      this.showMarkdownSource(false)
      return
    }
    if (this.editor === null) renderStaticCode(this.staticTarget(), this.source, this.language)
  }

  private showMarkdownSource(show: boolean): void {
    if (this.rendered === null) return
    this.sourceHost.hidden = !show
    this.rendered.hidden = show
    this.element.classList.toggle('rendered', !show)
    if (!show) {
      const source = this.source
      if (source.trim() === '') {
        this.rendered.replaceChildren(
          h('p', { class: 'placeholder' }, this.host.readOnly ? 'Empty markdown cell' : 'Empty markdown cell: press Enter or double-click to write')
        )
      } else {
        renderMarkdown(this.rendered, source, (this.model.ymodel.get('attachments') ?? null) as Attachments)
      }
    } else if (this.editor === null) {
      renderStaticCode(this.staticTarget(), this.source, this.language)
    }
  }

  private renderPrompt(): void {
    if (this.type === 'code') {
      const count = this.model.ymodel.get('execution_count')
      const record = this.runs?.record ?? null
      const active = record !== null && isActive(record)
      this.prompt.textContent = active ? '[*]' : typeof count === 'number' ? `[${count}]` : '[ ]'
    } else if (this.type === 'raw') {
      this.prompt.textContent = 'raw'
    } else {
      this.prompt.textContent = ''
    }
  }

  /** The badge: who ran the cell, when, its count, whether it changed since; or that a run
   * is queued, running or waiting for someone's input. */
  private renderRun(): void {
    if (this.runs === null) return
    this.inputPrompt.clearIfFinished(this.runs.render(this.element, this.source))
  }

  private renderOutputs(): void {
    const model = this.codeModel
    if (model === null || this.outputs === null) return
    renderOutputs(this.outputs, model.youtputs.toJSON() as OutputJson[], this.host.widgets ?? undefined)
  }

  private staticTarget(): HTMLElement {
    let pre = this.sourceHost.querySelector<HTMLElement>(':scope > .static-code')
    if (pre === null) {
      pre = h('div', { class: 'static-code', 'aria-label': 'Cell source', role: 'textbox', 'aria-readonly': 'true' })
      this.sourceHost.replaceChildren(pre)
    }
    return pre
  }

  private mountEditorIfShown(): void {
    if (this.type === 'markdown' && !this.editing) return
    this.mountEditor()
  }

  /** The lines selected in the cell's editor (1-based), or all of them without one. */
  selectedLines(): [number, number] {
    if (this.editor === null) return [1, Math.max(1, this.source.split('\n').length)]
    const { state } = this.editor
    const range = state.selection.main
    return [state.doc.lineAt(range.from).number, state.doc.lineAt(range.to).number]
  }

  /** Editing turned off or on (mob mode) for the editor, if one is mounted. */
  setReadOnly(readOnly: boolean): void {
    if (this.editor !== null) setEditorReadOnly(this.editor, readOnly)
    if (readOnly && this.editing && this.type === 'markdown') this.leaveEdit()
  }

  private mountEditor(): EditorView {
    if (this.editor !== null) return this.editor
    this.sourceHost.replaceChildren()
    this.editor = createCellEditor(this.sourceHost, {
      ysource: this.model.ysource,
      awareness: this.host.awareness,
      undoManager: this.host.undoManager,
      language: this.language,
      readOnly: this.host.readOnly,
      notebookKeys: this.host.notebookKeys,
      assist: this.host.assist,
      indentUnit: this.host.indentUnit,
      label: `Cell ${this.host.indexOf(this) + 1} source`,
      onFocus: () => this.host.editorFocused(this),
      extra: [pointerLines(this.host.awareness, () => this.id), this.host.searchHighlight(this.model.ysource)]
    })
    return this.editor
  }

  private unmountEditor(): void {
    if (this.editor === null) return
    this.editor.destroy()
    this.editor = null
    this.sourceHost.replaceChildren()
    renderStaticCode(this.staticTarget(), this.source, this.language)
  }

  /** A click on highlighted text: mount the editor and put the cursor where the click was. */
  private clickSource(event: MouseEvent): void {
    if (this.editor !== null || event.button !== 0) return
    event.preventDefault()
    const view = this.mountEditor()
    const pos = view.posAtCoords({ x: event.clientX, y: event.clientY })
    view.focus()
    if (pos !== null) view.dispatch({ selection: { anchor: pos } })
  }
}
