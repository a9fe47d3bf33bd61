/** Line numbers in the cells' source (Shift+L, as JupyterLab's "Show Line Numbers" for all
 * cells): a setting of this person's, for every notebook, remembered by this browser
 * (localStorage), never in the shared document. The editors always carry CodeMirror's line
 * number gutter and the highlighted text of far cells numbers its lines with a CSS counter:
 * the notebook's `line-numbers` class shows both, so a toggle touches no editor. */

/** The part of the Web Storage API the setting uses (localStorage in the page). */
export interface SettingStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export const LINE_NUMBERS_KEY = 'pairbook.line-numbers'

export class LineNumbers {
  private on: boolean

  /** `show` is told the setting now and at every toggle. */
  constructor(
    private readonly store: SettingStore | null,
    private readonly show: (shown: boolean) => void
  ) {
    this.on = read(store) === '1'
    show(this.on)
  }

  get shown(): boolean {
    return this.on
  }

  /** Shows or hides them; returns whether they are shown now. */
  toggle(): boolean {
    this.on = !this.on
    try {
      if (this.on) this.store?.setItem(LINE_NUMBERS_KEY, '1')
      else this.store?.removeItem(LINE_NUMBERS_KEY)
    } catch {
      // storage turned off: the setting holds for this page only
    }
    this.show(this.on)
    return this.on
  }
}

function read(store: SettingStore | null): string | null {
  try {
    return store?.getItem(LINE_NUMBERS_KEY) ?? null
  } catch {
    return null
  }
}

/** This browser's localStorage, or null where storage is turned off. */
export function browserStorage(): SettingStore | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}
