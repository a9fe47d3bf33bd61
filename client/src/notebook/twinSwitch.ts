/** The notebook's readable `.py` twin, switched on or off from the page. The choice is
 * jupytext's own pairing, `metadata.jupytext.formats`, written into the shared notebook: every
 * peer sees it, the server pairs (or stops pairing) the `.py` on its next save, and jupytext
 * itself reads the same key. A notebook without the key follows the server's default. */

import type { YNotebook } from '@jupyter/ydoc'
import { button, relabel } from '../dom'

export const TWIN_FORMAT = 'py:percent'

function extensionOf(format: string): string {
  const last = format.trim().split('/').pop() ?? ''
  return last.split(':')[0].replace(/^\./, '')
}

/** Whether `metadata.jupytext` pairs a `.py`: true, false, or null when it says nothing. */
export function twinPaired(jupytext: unknown): boolean | null {
  const formats = (jupytext as { formats?: unknown } | null | undefined)?.formats
  if (typeof formats !== 'string') return null
  return formats.split(',').some((format) => extensionOf(format) === 'py')
}

/** `metadata.jupytext` with the `.py` pairing switched on or off; other formats are kept. */
export function switchTwin(jupytext: unknown, on: boolean): Record<string, unknown> {
  const current = typeof jupytext === 'object' && jupytext !== null ? { ...(jupytext as Record<string, unknown>) } : {}
  const formats = typeof current.formats === 'string' ? current.formats.split(',').map((f) => f.trim()).filter((f) => f !== '') : ['ipynb']
  const others = formats.filter((format) => extensionOf(format) !== 'py')
  if (!others.some((format) => extensionOf(format) === 'ipynb')) others.unshift('ipynb')
  return { ...current, formats: (on ? [...others, TWIN_FORMAT] : others).join(',') }
}

/** The switch: `pairedByDefault` is what the server does for a notebook that names no pairing. */
export function twinSwitch(notebook: YNotebook, canEdit: boolean, pairedByDefault: () => boolean): HTMLButtonElement & { refresh: () => void } {
  const paired = (): boolean => twinPaired(notebook.getMetadata('jupytext')) ?? pairedByDefault()
  const element = button('.py twin', 'Keep a readable .py twin of this notebook (jupytext percent format)', () => {
    if (!canEdit) return
    notebook.setMetadata('jupytext', switchTwin(notebook.getMetadata('jupytext'), !paired()) as never)
  }, { class: 'btn twin-switch' })
  const show = (): void => {
    const on = paired()
    element.setAttribute('aria-pressed', String(on))
    relabel(element, on ? '.py twin: on' : '.py twin: off', 'Keep a readable .py twin of this notebook (jupytext percent format)')
    element.disabled = !canEdit
  }
  notebook.metadataChanged.connect(show)
  show()
  return Object.assign(element, { refresh: show })
}
