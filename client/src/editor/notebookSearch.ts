/** Find and replace across the whole notebook: a bar above the cells, matches counted in
 * every cell (also those without a live editor), highlighted in the editors on screen, next
 * and previous across cells, and replacements made as normal edits of the cells' shared
 * text (one undo step, synced to partners and attributed to whoever replaced). */

import { type Extension, RangeSetBuilder, StateEffect } from '@codemirror/state'
import { Decoration, type DecorationSet, type EditorView, ViewPlugin, type ViewUpdate } from '@codemirror/view'
import type * as Y from 'yjs'

import { button, h } from '../dom'
import { compileQuery, findMatches, type Match, nearestMatch, replaceAllEdits, replacementFor, type SearchQuery } from './searchMatches'

/** One cell as the search sees it. */
export interface SearchCell {
  readonly id: string
  readonly ysource: Y.Text
  /** Selects the range in the cell's editor and scrolls to it; the keyboard stays put. */
  showRange(from: number, to: number): void
}

export interface SearchHost {
  cells(): readonly SearchCell[]
  /** Replacing is editing: off for viewers and navigators. */
  readonly readOnly: boolean
  /** Runs the edits as one transaction of this person's (their undo step). */
  transact(edit: () => void): void
  /** Where this person is: the selected cell's index and the cursor in it. */
  position(): { cell: number; offset: number }
  /** The bar closed: the keyboard goes back to the cell of the current match (or null). */
  closed(cellId: string | null): void
}

interface Found extends Match {
  cell: number
  ysource: Y.Text
  cellId: string
}

const refresh = StateEffect.define<null>()
const matchMark = Decoration.mark({ class: 'cm-notebook-match' })
const currentMark = Decoration.mark({ class: 'cm-notebook-match cm-notebook-match-current' })

export class NotebookSearch {
  readonly element: HTMLElement
  private readonly findInput: HTMLInputElement
  private readonly replaceInput: HTMLInputElement
  private readonly count: HTMLElement
  private readonly caseBox: HTMLInputElement
  private readonly regexpBox: HTMLInputElement
  private readonly replaceRow: HTMLElement
  private matches: Found[] = []
  private current = -1
  private pattern: RegExp | null = null
  private readonly views = new Set<EditorView>()
  private scheduled = 0

  constructor(private readonly host: SearchHost) {
    this.findInput = h('input', { type: 'search', class: 'search-find', 'aria-label': 'Find in the notebook', placeholder: 'Find in the notebook' })
    this.replaceInput = h('input', { type: 'text', class: 'search-replace', 'aria-label': 'Replace with', placeholder: 'Replace with' })
    this.caseBox = h('input', { type: 'checkbox', 'aria-label': 'Match case' })
    this.regexpBox = h('input', { type: 'checkbox', 'aria-label': 'Regular expression' })
    this.count = h('span', { class: 'search-count', role: 'status', 'aria-live': 'polite' })
    this.replaceRow = h(
      'div',
      { class: 'search-row' },
      this.replaceInput,
      button('Replace', 'Replace this match', () => this.replaceCurrent(), { class: 'btn', shortcut: 'Enter' }),
      button('Replace all', 'Replace every match in the notebook', () => this.replaceAll(), { class: 'btn' })
    )
    this.element = h(
      'div',
      { class: 'notebook-search', role: 'search', 'aria-label': 'Find and replace in the notebook', hidden: true },
      h(
        'div',
        { class: 'search-row' },
        this.findInput,
        this.count,
        button('↑', 'Previous match', () => this.step(false), { class: 'btn icon-btn', shortcut: 'Shift+Enter' }),
        button('↓', 'Next match', () => this.step(true), { class: 'btn icon-btn', shortcut: 'Enter' }),
        h('label', { class: 'search-option', title: 'Match case' }, this.caseBox, 'Aa'),
        h('label', { class: 'search-option', title: 'Regular expression' }, this.regexpBox, '.*'),
        button('×', 'Close the search', () => this.close(), { class: 'btn icon-btn', shortcut: 'Escape' })
      ),
      this.replaceRow
    )
    this.findInput.addEventListener('input', () => this.update(true))
    this.caseBox.addEventListener('change', () => this.update(true))
    this.regexpBox.addEventListener('change', () => this.update(true))
    this.element.addEventListener('keydown', (event) => this.onKey(event))
  }

  get isOpen(): boolean {
    return !this.element.hidden
  }

  /** Opens the bar (with `text` to find, if given) and puts the keyboard in it. */
  open(text = ''): void {
    this.element.hidden = false
    this.replaceRow.hidden = this.host.readOnly
    if (text !== '' && !text.includes('\n')) this.findInput.value = text
    this.findInput.focus()
    this.findInput.select()
    this.update(true)
  }

  close(): void {
    if (!this.isOpen) return
    const found = this.matches[this.current]
    this.element.hidden = true
    this.matches = []
    this.current = -1
    this.redraw()
    this.host.closed(found?.cellId ?? null)
  }

  /** The document changed: count again (once per frame) while the bar is open. */
  documentChanged(): void {
    if (!this.isOpen || this.scheduled !== 0) return
    this.scheduled = requestAnimationFrame(() => {
      this.scheduled = 0
      this.update(false)
    })
  }

  /** The highlights of the matches in one cell's editor. */
  highlighter(ysource: Y.Text): Extension {
    const search = this
    return ViewPlugin.fromClass(
      class {
        decorations: DecorationSet
        constructor(readonly view: EditorView) {
          search.views.add(view)
          this.decorations = search.decorationsFor(ysource)
        }
        update(update: ViewUpdate): void {
          const asked = update.transactions.some((tr) => tr.effects.some((e) => e.is(refresh)))
          if (asked || update.docChanged) this.decorations = search.decorationsFor(ysource)
        }
        destroy(): void {
          search.views.delete(this.view)
        }
      },
      { decorations: (plugin) => plugin.decorations }
    )
  }

  private decorationsFor(ysource: Y.Text): DecorationSet {
    const builder = new RangeSetBuilder<Decoration>()
    const length = ysource.length
    this.matches.forEach((found, index) => {
      if (found.ysource === ysource && found.to <= length) builder.add(found.from, found.to, index === this.current ? currentMark : matchMark)
    })
    return builder.finish()
  }

  private redraw(): void {
    for (const view of this.views) view.dispatch({ effects: refresh.of(null) })
  }

  private query(): SearchQuery {
    return { text: this.findInput.value, caseSensitive: this.caseBox.checked, regexp: this.regexpBox.checked }
  }

  /** Finds every match again; `jump`: go to the first match after the cursor. */
  private update(jump: boolean): void {
    const compiled = compileQuery(this.query())
    const previous = this.matches[this.current]
    this.pattern = compiled instanceof RegExp ? compiled : null
    this.matches = []
    if (this.pattern !== null) {
      this.host.cells().forEach((cell, index) => {
        for (const match of findMatches(cell.ysource.toString(), this.pattern!)) {
          this.matches.push({ ...match, cell: index, ysource: cell.ysource, cellId: cell.id })
        }
      })
    }
    if (jump) {
      this.current = nearestMatch(this.matches, this.host.position(), true)
      this.show()
    } else {
      // Stay on the same match when partners edit elsewhere.
      const same = previous === undefined ? -1 : this.matches.findIndex((m) => m.cellId === previous.cellId && m.from >= previous.from)
      this.current = same !== -1 ? same : Math.min(this.current, this.matches.length - 1)
    }
    this.count.textContent =
      typeof compiled === 'string' ? compiled : this.matches.length === 0 ? (compiled === null ? '' : 'No matches') : `${this.current + 1} of ${this.matches.length}`
    this.count.classList.toggle('invalid', typeof compiled === 'string')
    this.redraw()
  }

  private show(): void {
    const found = this.matches[this.current]
    if (found === undefined) return
    const cell = this.host.cells().find((c) => c.id === found.cellId)
    cell?.showRange(found.from, found.to)
    this.count.textContent = `${this.current + 1} of ${this.matches.length}`
  }

  private step(forward: boolean): void {
    if (this.matches.length === 0) return
    this.current = (this.current + (forward ? 1 : -1) + this.matches.length) % this.matches.length
    this.show()
    this.redraw()
  }

  private replaceCurrent(): void {
    const found = this.matches[this.current]
    if (found === undefined || this.pattern === null || this.host.readOnly) return
    const source = found.ysource.toString()
    if (found.to > source.length) return
    const insert = replacementFor(source, found, this.pattern, this.replaceInput.value, this.regexpBox.checked)
    this.host.transact(() => {
      found.ysource.delete(found.from, found.to - found.from)
      found.ysource.insert(found.from, insert)
    })
    const next = { cell: found.cell, offset: found.from + insert.length }
    this.update(false)
    this.current = nearestMatch(this.matches, next, true)
    this.show()
    this.redraw()
  }

  private replaceAll(): void {
    if (this.pattern === null || this.matches.length === 0 || this.host.readOnly) return
    const pattern = this.pattern
    const replacement = this.replaceInput.value
    const regexp = this.regexpBox.checked
    const total = this.matches.length
    const byCell = new Map<Y.Text, Found[]>()
    for (const found of this.matches) byCell.set(found.ysource, [...(byCell.get(found.ysource) ?? []), found])
    this.host.transact(() => {
      for (const [ysource, matches] of byCell) {
        for (const edit of replaceAllEdits(ysource.toString(), matches, pattern, replacement, regexp)) {
          ysource.delete(edit.from, edit.to - edit.from)
          ysource.insert(edit.from, edit.insert)
        }
      }
    })
    this.update(false)
    this.count.textContent = `Replaced ${total}`
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      this.close()
    } else if (event.key === 'Enter' && event.target === this.findInput) {
      this.step(!event.shiftKey)
    } else if (event.key === 'Enter' && event.target === this.replaceInput) {
      this.replaceCurrent()
    } else {
      return
    }
    event.preventDefault()
    event.stopPropagation()
  }
}
