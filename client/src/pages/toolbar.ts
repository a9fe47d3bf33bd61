/** The notebook page's toolbar: the editing tools (not for viewers), the kernel's controls,
 * then the mob badge, the recording, the kernel's state, the mode and Help. When it is full,
 * its least needed tools move into "More" (toolbarOverflow.ts). */

import { button, h, icon, ICONS, keepFocusOnPress } from '../dom'
import { type NotebookAction, shortcutFor } from '../notebook/keys'
import { ToolbarOverflow } from './toolbarOverflow'

export interface ToolbarParts {
  readOnly: boolean
  /** The click handler that does a notebook action on the selected cell. */
  act: (action: NotebookAction) => () => void
  insertMarkdown: () => void
  typeSelect: HTMLSelectElement
  kernelControls: HTMLElement | null
  /** The recording's badge and buttons (its buttons may move into "More"). */
  recording: HTMLElement
  /** Between the recording and Help: the mob badge first, the rest after the recording. */
  mobBadge: HTMLElement
  /** The Check button (check/checkControl.ts; null for viewers): it may move into "More". */
  check: HTMLElement | null
  status: Array<HTMLElement | null>
  onHelp: () => void
}

export interface Toolbar {
  element: HTMLElement
  /** Call once the toolbar is on the page. */
  start: () => void
}

export function notebookToolbar(parts: ToolbarParts): Toolbar {
  const { readOnly, act, kernelControls, recording } = parts
  const tool = (content: Node | string, name: string, action: NotebookAction): HTMLElement =>
    button(content, name, act(action), { class: 'tool', shortcut: shortcutFor(action) })
  // Sets of tools that move together into the "More" menu when the toolbar is full.
  const toolSet = (...tools: HTMLElement[]): HTMLElement => h('span', { class: 'tool-set' }, h('span', { class: 'sep' }), ...tools)
  const cellMoves = toolSet(tool(icon(ICONS.up), 'Move cell up', 'move-up'), tool(icon(ICONS.down), 'Move cell down', 'move-down'), tool(icon(ICONS.trash), 'Delete cell', 'delete'))
  const undoRedo = toolSet(tool(icon(ICONS.undo), 'Undo your last change', 'undo'), tool(icon(ICONS.redo), 'Redo your change', 'redo'))
  const element = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Notebook actions' },
    readOnly
      ? h('span', { class: 'read-only-badge', role: 'note' }, icon(ICONS.eye), ' Read-only: you are viewing')
      : h(
          'div',
          { class: 'tool-group' },
          tool(h('span', {}, icon(ICONS.plus), ' Code'), 'Insert a code cell below', 'insert-below'),
          button(h('span', {}, icon(ICONS.plus), ' Markdown'), 'Insert a markdown cell below', parts.insertMarkdown, { class: 'tool' }),
          cellMoves,
          h('span', { class: 'sep' }),
          parts.typeSelect,
          undoRedo,
          h('span', { class: 'sep' }),
          kernelControls
        ),
    h('div', { class: 'spacer' }),
    parts.mobBadge,
    parts.check,
    recording,
    ...parts.status,
    button(icon(ICONS.keyboard), 'Keyboard shortcuts', parts.onHelp, { class: 'tool', shortcut: 'H' })
  )
  // The least needed first: restart and run all, run above / below, Check, undo and redo (Ctrl+Z), the recording's
  // buttons (its badge stays), the cell moves (keys too).
  const byLabel = (label: string): HTMLElement | null => kernelControls?.querySelector<HTMLElement>(`[aria-label="${label}"]`) ?? null
  const overflow = new ToolbarOverflow(element, [
    byLabel('Restart the kernel and run all cells'),
    byLabel('Run all cells above the selected cell'),
    byLabel('Run the selected cell and all cells below'),
    parts.check,
    readOnly ? null : undoRedo,
    ...[...recording.children].reverse().filter((child): child is HTMLElement => child instanceof HTMLElement && !child.classList.contains('recording-badge')),
    readOnly ? null : cellMoves
  ])
  element.append(overflow.element)
  keepFocusOnPress(element)
  return { element, start: () => overflow.start() }
}
