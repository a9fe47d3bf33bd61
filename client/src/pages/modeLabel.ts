/** The toolbar's mode label: where the keyboard goes, in words (JupyterLab's "Mode: Edit"). */

import type { Mode } from '../notebook/notebookView'

export interface ModeLabel {
  text: string
  /** The label's `data-mode`, which colours it. */
  mode: Mode | 'locked'
}

/** Never "Edit mode" in an editor that takes no typing; an `input()` prompt that has the
 * keyboard is neither editing a cell nor command mode, as in JupyterLab. */
export function modeLabel(mode: Mode, readOnly: boolean): ModeLabel {
  if (mode === 'input') return { text: 'Answering input()', mode }
  if (mode === 'edit') return readOnly ? { text: 'Read-only: not your turn', mode: 'locked' } : { text: 'Edit mode', mode }
  return { text: 'Command mode', mode }
}
