/** One cell on screen: its source (a live editor near the viewport, highlighted text
 * elsewhere), its rendered markdown, its outputs and who else is in it. */

import type { YCellType, YCodeCell } from '@jupyter/ydoc'
import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

import type { InputRequest } from '../commands'
import { createCellEditor, setEditorReadOnly } from '../editor/cellEditor'
import type { KernelAssist } from '../editor/kernelAssist'
import { pointerLines } from '../mob/pointerLines'
import { renderStaticCode, type SourceLanguage } from '../editor/staticCode'
import { button, h, icon, ICONS } from '../dom'
import { GONE } from '../kernel/kernels'
import type { RunStore } from '../kernel/runStore'
import { badgeRecord, badgeText, editedSince, describeRun, isActive, isFinished, type ExecutionRecord, sourceHash, type TimeFrame } from '../kernel/runs'
import { initials, inkOn, isColor, type Participant } from '../panels/presence'
import type { CellType } from './actions'
import { shortcutFor, type NotebookAction } from './keys'
import { renderMarkdown } from './markdown'
import type { OutputJson } from './mimeBundle'
import { renderOutputs, type WidgetViews } from './outputs'

/** What a cell needs from the notebook around it. */
export interface CellHost {
  readonly awareness: Awareness
  readonly undoManager: Y.UndoManager
  /** Editing is off: for viewers always, for navigators while someone else drives. */
  readonly readOnly: boolean
  /** A viewer: the page never offers editing tools. */
  readonly viewer: boolean
  readonly notebookKeys: Extension
  /** The shared kernel's completion and help, and the notebook's indent unit. */
  readonly assist: KernelAssist | null
  /** Draws widget view outputs from the room's shared widgets (null: their text form). */
  readonly widgets: WidgetViews | null
  readonly indentUnit: string
  /** The runs in the document; `canRun`: this person may run cells (not a viewer). */
  readonly runs: RunStore
  readonly canRun: boolean
  /** What runs' times are told relative to: now (seconds since the epoch), or a replayed moment. */
  readonly times: { now(): number; frame: TimeFrame }
  indexOf(cell: CellView): number
  /** The cell's editor got focus: it becomes the selected cell, in edit mode. */
  editorFocused(cell: CellView): void
  /** The cell was clicked outside its editor, or Shift+clicked (`extend`). */
  selected(cell: CellView, extend: boolean): void
  /** A person asked to edit the cell (double-click on rendered markdown). */
  editRequested(cell: CellView): void
  /** A per-cell button was pressed. */
  actionRequested(cell: CellView, action: NotebookAction): void
  /** The highlights of the notebook search's matches in a cell's editor. */
  searchHighlight(ysource: Y.Text): Extension
  /** The person answered an input() prompt of one of their runs. */
  replyInput(execution: string, value: string): void
}

type Render = 'source' | 'outputs' | 'prompt' | 'run'

export class CellView {
  readonly element: HTMLElement
  private readonly gutter: HTMLElement
  private readonly prompt: HTMLElement
  private readonly avatars: HTMLElement
  private readonly tag: HTMLElement
  private readonly sourceHost: HTMLElement
  private readonly rendered: HTMLElement | null
  private readonly outputs: HTMLElement | null
  private readonly runLine: HTMLElement | null
  private readonly runBadge: HTMLButtonElement | null
  private readonly runList: HTMLElement | null
  /** Kernel-state warnings (stale, out of order, hidden state), from the server's analysis. */
  private readonly warnings: HTMLElement
  private warningSignature = ''
  private inputForm: HTMLFormElement | null = null
  private inputExecution: string | null = null
  private hashed: { source: string; hash: string } | null = null
  private runRecord: ExecutionRecord | null = null
  private editor: EditorView | null = null
  private near = false
  private editing = false
  private peopleSignature = ''
  private pending = new Set<Render>()
  private frame = 0
  private readonly onSource = (): void => {
    this.schedule('source')
    if (this.runRecord !== null) this.schedule('run')
  }
  private readonly onOutputs = (): void => this.schedule('outputs')
  private readonly onModel = (event: Y.YMapEvent<unknown>): void => {
    if (event.keysChanged.has('execution_count')) this.schedule('prompt')
    if (event.keysChanged.has('outputs')) this.schedule('outputs')
  }

  constructor(
    readonly model: YCellType,
    private readonly host: CellHost
  ) {
    const type = this.type
    this.prompt = h('div', { class: 'cell-prompt', 'aria-hidden': 'true' })
    this.avatars = h('div', { class: 'cell-avatars' })
    this.gutter = h('div', { class: 'cell-gutter' }, this.prompt, this.avatars)
    this.tag = h('div', { class: 'cell-presence-tag', hidden: true })
    this.sourceHost = h('div', { class: 'cell-source' })
    this.sourceHost.addEventListener('mousedown', (event) => this.clickSource(event))
    this.rendered =
      type === 'markdown'
        ? h('div', {
            class: 'cell-rendered markdown-body',
            ondblclick: () => this.host.editRequested(this)
          })
        : null
    this.outputs =
      type === 'code' ? h('div', { class: 'cell-outputs', role: 'log', 'aria-label': 'Outputs' }) : null
    const tools = host.viewer ? null : this.buildTools()
    if (type === 'code') {
      this.runBadge = h('button', {
        type: 'button',
        class: 'run-badge',
        'aria-expanded': 'false',
        title: 'Show this cell’s runs',
        onclick: (event: Event) => {
          event.stopPropagation()
          this.toggleRuns()
        }
      })
      this.runList = h('ol', { class: 'run-list', hidden: true, 'aria-label': 'Runs of this cell, newest first' })
      this.runLine = h('div', { class: 'cell-run', hidden: true }, this.runBadge, this.runList)
      if (host.canRun) {
        this.gutter.insertBefore(
          button(icon(ICONS.run), 'Run cell', (event) => {
            event.stopPropagation()
            this.host.actionRequested(this, 'run-stay')
          }, { class: 'tool run-cell', shortcut: 'Ctrl+Enter' }),
          this.avatars
        )
      }
    } else {
      this.runBadge = null
      this.runList = null
      this.runLine = null
    }
    this.warnings = h('ul', { class: 'cell-warnings', hidden: true, 'aria-label': 'Kernel-state warnings' })
    const body = h(
      'div',
      { class: 'cell-body' },
      h('div', { class: 'cell-input' }, this.sourceHost, this.rendered),
      this.runLine,
      this.warnings,
      this.outputs
    )
    this.element = h(
      'div',
      {
        class: `cell cell-${type}`,
        role: 'listitem',
        tabindex: -1,
        'data-cell-id': this.id,
        'data-cell-type': type
      },
      this.gutter,
      body,
      tools,
      this.tag
    )
    this.element.addEventListener('mousedown', (event) => {
      if (!(event.target instanceof Element) || !event.target.closest('.cm-editor, button')) {
        this.host.selected(this, false)
      }
    })
    // Shift+click extends the selection to this cell, as in JupyterLab, rather than putting a
    // cursor in it (before the editor sees the press); in the editor one types in, it
    // extends the text selection.
    this.element.addEventListener(
      'mousedown',
      (event) => {
        const target = event.target instanceof Element ? event.target : null
        if (!event.shiftKey || event.button !== 0 || this.editorFocused || target?.closest('button, a, input, textarea, select') != null) return
        event.preventDefault()
        event.stopPropagation()
        this.host.selected(this, true)
      },
      true
    )
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
    if (this.type !== 'code') return
    this.inputForm?.remove()
    const field = h('input', {
      type: request.password ? 'password' : 'text',
      class: 'input-field',
      'aria-label': request.prompt.trim() || 'Input for the running cell',
      autocomplete: 'off'
    })
    const form = h(
      'form',
      { class: 'cell-input-request' },
      h('label', { class: 'input-prompt' }, request.prompt || 'Input:'),
      field,
      h('button', { type: 'submit', class: 'btn small primary' }, 'Send')
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.host.replyInput(request.execution, field.value)
      this.clearInput()
    })
    // Keys typed here are for the prompt, not the notebook's command mode.
    form.addEventListener('keydown', (event) => event.stopPropagation())
    this.inputForm = form
    this.inputExecution = request.execution
    this.outputs?.after(form)
    field.focus()
  }

  /** Removes the prompt; the keyboard, if it was there, goes back to this cell (command mode). */
  private clearInput(): void {
    if (this.inputForm?.contains(document.activeElement) === true) this.element.focus({ preventScroll: true })
    this.inputForm?.remove()
    this.inputForm = null
    this.inputExecution = null
  }

  /** Shows the kernel-state warnings for this cell (an empty list hides them). */
  setWarnings(items: readonly { kind: string; text: string }[]): void {
    const signature = JSON.stringify(items)
    if (signature === this.warningSignature) return
    this.warningSignature = signature
    this.warnings.hidden = items.length === 0
    this.warnings.replaceChildren(...items.map((item) => h('li', { class: 'cell-warning', 'data-kind': item.kind }, item.text)))
  }

  get id(): string {
    return String(this.model.ymodel.get('id') ?? '')
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
    const signature = people.map((p) => `${p.clientId}:${p.name}:${p.color}:${p.mode}`).join('|')
    if (signature === this.peopleSignature) return
    this.peopleSignature = signature
    this.avatars.replaceChildren(
      ...people.map((p) =>
        h(
          'span',
          {
            class: `avatar avatar-small${p.mode === 'edit' ? ' typing' : ''}`,
            style: `--person:${p.color};--person-ink:${inkOn(p.color)}`,
            title: `${p.name} ${p.mode === 'edit' ? 'is editing' : 'is on'} this cell`
          },
          initials(p.name)
        )
      )
    )
    const first = people[0]
    this.element.classList.toggle('has-people', first !== undefined)
    if (first === undefined) {
      this.element.style.removeProperty('--presence')
      this.tag.hidden = true
      return
    }
    this.element.style.setProperty('--presence', first.color)
    this.tag.hidden = false
    this.tag.textContent = people.map((p) => p.name).join(', ')
    this.tag.style.setProperty('--person', first.color)
    this.tag.style.setProperty('--person-ink', inkOn(first.color))
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

  private buildTools(): HTMLElement {
    const act = (action: NotebookAction) => (event: MouseEvent) => {
      event.stopPropagation()
      this.host.actionRequested(this, action)
    }
    return h(
      'div',
      { class: 'cell-tools', role: 'toolbar', 'aria-label': 'Cell actions' },
      button(icon(ICONS.up), 'Move cell up', act('move-up'), { class: 'tool', shortcut: shortcutFor('move-up') }),
      button(icon(ICONS.down), 'Move cell down', act('move-down'), { class: 'tool', shortcut: shortcutFor('move-down') }),
      button(icon(ICONS.plus), 'Insert cell below', act('insert-below'), { class: 'tool', shortcut: shortcutFor('insert-below') }),
      button(icon(ICONS.trash), 'Delete cell', act('delete'), { class: 'tool danger', shortcut: shortcutFor('delete') })
    )
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
        renderMarkdown(this.rendered, source)
      }
    } else if (this.editor === null) {
      renderStaticCode(this.staticTarget(), this.source, this.language)
    }
  }

  private renderPrompt(): void {
    if (this.type === 'code') {
      const count = this.model.ymodel.get('execution_count')
      const active = this.runRecord !== null && isActive(this.runRecord)
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
    if (this.runLine === null || this.runBadge === null) return
    const runs = this.host.runs.cellRuns(this.id)
    const record = badgeRecord(runs)
    this.runRecord = record
    if (record === null) {
      this.runLine.hidden = true
      delete this.element.dataset.run
      return
    }
    const source = this.source
    if (this.hashed?.source !== source) this.hashed = { source, hash: sourceHash(source) }
    const edited = editedSince(record, this.hashed.hash)
    const { frame } = this.host.times
    const now = this.host.times.now()
    this.runLine.hidden = false
    this.element.dataset.run = record.status
    this.runLine.dataset.status = record.status
    this.runLine.classList.toggle('edited', edited)
    const gone = this.host.runs.fromGoneKernel(record)
    this.runLine.classList.toggle('gone', gone)
    const color = record.user.color !== undefined && isColor(record.user.color) ? record.user.color : '#8a93a6'
    this.runBadge.style.setProperty('--person', color)
    const text = badgeText(record, now, edited, frame) + (gone ? ` · ${GONE}` : '')
    this.runBadge.replaceChildren(h('span', { class: 'run-dot', 'aria-hidden': 'true' }), h('span', { class: 'run-text' }, text))
    this.runBadge.setAttribute('aria-label', `${text}: show this cell’s runs`)
    if (this.runList !== null && !this.runList.hidden) this.renderRuns(runs, now)
    if (this.inputExecution !== null) {
      const asked = runs.find((r) => r.id === this.inputExecution)
      if (asked !== undefined && isFinished(asked)) this.clearInput()
    }
  }

  private toggleRuns(): void {
    if (this.runList === null || this.runBadge === null) return
    const open = this.runList.hidden
    this.runList.hidden = !open
    this.runBadge.setAttribute('aria-expanded', String(open))
    if (open) {
      this.renderRuns(this.host.runs.cellRuns(this.id), this.host.times.now())
    }
  }

  private renderRuns(runs: ExecutionRecord[], now: number): void {
    this.runList?.replaceChildren(
      ...runs.map((record) =>
        h(
          'li',
          { class: 'run-list-item', 'data-status': record.status, style: `--person:${record.user.color !== undefined && isColor(record.user.color) ? record.user.color : '#8a93a6'}` },
          h('span', { class: 'run-dot', 'aria-hidden': 'true' }),
          describeRun(record, now, this.host.times.frame)
        )
      )
    )
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
