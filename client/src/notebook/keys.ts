/** Jupyter's command-mode keyboard model: keys in, notebook actions out. Pure. */

import type { HeadingLevel } from './actions'

export type NotebookAction =
  | 'edit'
  | 'run-next'
  | 'run-stay'
  | 'run-insert'
  | 'insert-above'
  | 'insert-below'
  | 'insert-heading-above'
  | 'insert-heading-below'
  | 'delete'
  | 'to-code'
  | 'to-markdown'
  | 'to-raw'
  | 'select-prev'
  | 'select-next'
  | 'select-first'
  | 'select-last'
  | 'move-up'
  | 'move-down'
  | 'undo'
  | 'redo'
  | 'help'
  | 'run-above'
  | 'run-below'
  | 'interrupt'
  | 'restart'
  | 'find'
  | 'copy'
  | 'cut'
  | 'paste-below'
  | 'paste-above'
  | 'merge'
  | 'split'
  | 'extend-up'
  | 'extend-down'
  | 'extend-top'
  | 'extend-bottom'
  | 'select-all'
  | 'duplicate'
  | 'merge-above'
  | 'merge-below'
  | 'clear-outputs'
  | 'clear-all-outputs'
  | 'toggle-line-numbers'
  | 'toggle-outputs'
  | 'collapse-heading'
  | 'expand-heading'
  | 'collapse-all'
  | 'expand-all'
  | `heading-${HeadingLevel}`

export interface KeyInput {
  key: string
  shift?: boolean
  ctrl?: boolean
  alt?: boolean
  meta?: boolean
}

/** Each action, the keys that trigger it (as shown to people) and its label. */
export const SHORTCUTS: ReadonlyArray<{ action: NotebookAction; keys: string; label: string }> = [
  { action: 'edit', keys: 'Enter', label: 'Edit the selected cell' },
  { action: 'run-next', keys: 'Shift+Enter', label: 'Run the cell (render markdown) and select the next one' },
  { action: 'run-stay', keys: 'Ctrl+Enter', label: 'Run the cell (render markdown)' },
  { action: 'run-insert', keys: 'Alt+Enter', label: 'Run the cell and insert one below' },
  { action: 'insert-above', keys: 'A', label: 'Insert a cell above' },
  { action: 'insert-below', keys: 'B', label: 'Insert a cell below' },
  { action: 'insert-heading-above', keys: 'Shift+A', label: 'Insert a heading above, at the level of the cell’s section' },
  { action: 'insert-heading-below', keys: 'Shift+B', label: 'Insert a heading at the end of the cell’s section, at its level' },
  { action: 'delete', keys: 'D, D', label: 'Delete the cell' },
  { action: 'to-code', keys: 'Y', label: 'Make it a code cell' },
  { action: 'to-markdown', keys: 'M', label: 'Make it a markdown cell' },
  { action: 'to-raw', keys: 'R', label: 'Make it a raw cell' },
  { action: 'heading-1', keys: '1 … 6', label: 'Make it a markdown heading of that level (# to ######)' },
  { action: 'select-prev', keys: '↑ or K', label: 'Select the cell above' },
  { action: 'select-next', keys: '↓ or J', label: 'Select the cell below' },
  { action: 'select-first', keys: 'Home', label: 'Select the first cell' },
  { action: 'select-last', keys: 'End', label: 'Select the last cell' },
  { action: 'extend-up', keys: 'Shift+↑ or Shift+K', label: 'Add the cell above to the selection (or Shift+click)' },
  { action: 'extend-down', keys: 'Shift+↓ or Shift+J', label: 'Add the cell below to the selection' },
  { action: 'extend-top', keys: 'Shift+Home', label: 'Add the cells above, up to the first, to the selection' },
  { action: 'extend-bottom', keys: 'Shift+End', label: 'Add the cells below, down to the last, to the selection' },
  { action: 'select-all', keys: 'Ctrl+A', label: 'Select all cells' },
  { action: 'copy', keys: 'C', label: 'Copy the selected cells' },
  { action: 'cut', keys: 'X', label: 'Cut the selected cells' },
  { action: 'paste-below', keys: 'V', label: 'Paste cells below' },
  { action: 'paste-above', keys: 'Shift+V', label: 'Paste cells above' },
  { action: 'merge', keys: 'Shift+M', label: 'Merge the selected cells (one: with the cell below)' },
  { action: 'merge-above', keys: 'Ctrl+Backspace', label: 'Merge the cell with the one above' },
  { action: 'merge-below', keys: 'Ctrl+Shift+M', label: 'Merge the cell with the one below' },
  { action: 'move-up', keys: 'Ctrl+Shift+↑', label: 'Move the selected cells up' },
  { action: 'move-down', keys: 'Ctrl+Shift+↓', label: 'Move the selected cells down' },
  { action: 'undo', keys: 'Z or Ctrl+Z', label: 'Undo your last change' },
  { action: 'redo', keys: 'Shift+Z or Ctrl+Shift+Z', label: 'Redo your change' },
  { action: 'interrupt', keys: 'I, I', label: 'Interrupt the kernel' },
  { action: 'restart', keys: '0, 0', label: 'Restart the kernel (after asking)' },
  { action: 'toggle-outputs', keys: 'O', label: 'Hide or show the selected cells’ outputs (for you)' },
  { action: 'toggle-line-numbers', keys: 'Shift+L', label: 'Show or hide line numbers in every cell (for you)' },
  { action: 'collapse-heading', keys: '←', label: 'Collapse the heading (else select the heading above)' },
  { action: 'expand-heading', keys: '→', label: 'Expand the heading (else select the next heading)' },
  { action: 'collapse-all', keys: 'Ctrl+Shift+←', label: 'Collapse every heading' },
  { action: 'expand-all', keys: 'Ctrl+Shift+→', label: 'Expand every heading' },
  { action: 'find', keys: 'Ctrl+F', label: 'Find and replace in the whole notebook' },
  { action: 'help', keys: 'H', label: 'Show the keyboard shortcuts' }
]

/** Actions that use the shared kernel: not offered to viewers. */
export const KERNEL_ACTIONS: ReadonlySet<NotebookAction> = new Set<NotebookAction>(['run-above', 'run-below', 'interrupt', 'restart'])

/** Keys that do something else with Shift (others, like Shift+C, do what the key does). */
const SHIFTED: Readonly<Record<string, NotebookAction>> = {
  a: 'insert-heading-above',
  b: 'insert-heading-below',
  ArrowUp: 'extend-up',
  k: 'extend-up',
  ArrowDown: 'extend-down',
  j: 'extend-down',
  Home: 'extend-top',
  End: 'extend-bottom',
  v: 'paste-above',
  m: 'merge',
  z: 'redo',
  l: 'toggle-line-numbers'
}

/** Keys on their own (or with a Shift that SHIFTED does not take) and their actions. */
const PLAIN: Readonly<Record<string, NotebookAction>> = {
  ArrowUp: 'select-prev',
  k: 'select-prev',
  ArrowDown: 'select-next',
  j: 'select-next',
  Home: 'select-first',
  End: 'select-last',
  ArrowLeft: 'collapse-heading',
  ArrowRight: 'expand-heading',
  a: 'insert-above',
  b: 'insert-below',
  m: 'to-markdown',
  y: 'to-code',
  r: 'to-raw',
  z: 'undo',
  h: 'help',
  o: 'toggle-outputs',
  c: 'copy',
  x: 'cut',
  v: 'paste-below',
  '1': 'heading-1',
  '2': 'heading-2',
  '3': 'heading-3',
  '4': 'heading-4',
  '5': 'heading-5',
  '6': 'heading-6'
}

/** Two-key chords: the key pressed twice and the action it gives. */
const CHORDS: Readonly<Record<string, NotebookAction>> = { d: 'delete', i: 'interrupt', '0': 'restart' }

export function shortcutFor(action: NotebookAction): string {
  return SHORTCUTS.find((s) => s.action === action)?.keys ?? ''
}

const HEADINGS = [1, 2, 3, 4, 5, 6].map((level) => `heading-${level}` as NotebookAction)

/** Actions that change the document: not offered to viewers. */
export const EDITING_ACTIONS: ReadonlySet<NotebookAction> = new Set<NotebookAction>([
  'run-insert',
  'insert-above',
  'insert-below',
  'insert-heading-above',
  'insert-heading-below',
  'delete',
  'to-code',
  'to-markdown',
  'to-raw',
  'move-up',
  'move-down',
  'undo',
  'redo',
  'cut',
  'paste-below',
  'paste-above',
  'merge',
  'split',
  'duplicate',
  'merge-above',
  'merge-below',
  'clear-outputs',
  'clear-all-outputs',
  ...HEADINGS
])

/** Interprets command-mode key presses, including the two-key chords D, D / I, I / 0, 0. */
export class CommandKeys {
  private pending: { key: string; at: number } | null = null

  constructor(
    private readonly clock: () => number = () => performance.now(),
    private readonly chordMs = 1000
  ) {}

  press(input: KeyInput): NotebookAction | null {
    const chord = this.pending
    this.pending = null
    const mod = Boolean(input.ctrl || input.meta)
    const key = input.key.length === 1 ? input.key.toLowerCase() : input.key
    if (key === 'Enter') {
      if (input.shift) return 'run-next'
      if (mod) return 'run-stay'
      if (input.alt) return 'run-insert'
      return 'edit'
    }
    if (mod && input.shift && key === 'ArrowUp') return 'move-up'
    if (mod && input.shift && key === 'ArrowDown') return 'move-down'
    if (mod && key === 'z') return input.shift ? 'redo' : 'undo'
    if (mod && key === 'y') return 'redo'
    if (mod && key === 'f') return 'find'
    if (mod && !input.shift && key === 'a') return 'select-all'
    if (mod && !input.shift && key === 'Backspace') return 'merge-above'
    if (mod && input.shift && key === 'm') return 'merge-below'
    if (mod && input.shift && key === 'ArrowLeft') return 'collapse-all'
    if (mod && input.shift && key === 'ArrowRight') return 'expand-all'
    if (mod || input.alt) return null
    if (input.shift) {
      const shifted = SHIFTED[key]
      if (shifted !== undefined) return shifted
    }
    const plain = PLAIN[key]
    if (plain !== undefined) return plain
    const chordAction = CHORDS[key]
    if (chordAction === undefined) return null
    const now = this.clock()
    if (chord !== null && chord.key === key && now - chord.at <= this.chordMs) return chordAction
    this.pending = { key, at: now }
    return null
  }
}
