/** The sidebar's width, which the kernel-state panel needs most: a drag handle on the
 * sidebar's edge (arrow keys too), a wide mode, and both remembered by this browser. */

import { h } from '../dom'

const WIDTH_KEY = 'pairbook.sidebar-width'
const WIDE_KEY = 'pairbook.sidebar-wide'
/** The narrowest sidebar, and the least the notebook keeps beside it. */
const MIN_WIDTH = 272
const MIN_NOTEBOOK = 420
const STEP = 24

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null // storage turned off: the width is just not remembered
  }
}

function store(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, value)
  } catch {
    // storage turned off: nothing to remember it in
  }
}

export class SidebarWidth {
  /** The drag handle, to put on the sidebar's left edge. */
  readonly handle: HTMLElement
  private width: number | null
  private wide: boolean
  private readonly listeners = new Set<(wide: boolean) => void>()

  /** `layout`: the grid whose second column is the sidebar (its `--sidebar-width`). */
  constructor(private readonly layout: HTMLElement) {
    const saved = Number(stored(WIDTH_KEY))
    this.width = Number.isFinite(saved) && saved >= MIN_WIDTH ? saved : null
    this.wide = stored(WIDE_KEY) === '1'
    this.handle = h('div', {
      class: 'sidebar-resize',
      role: 'separator',
      tabindex: '0',
      'aria-orientation': 'vertical',
      'aria-label': 'Resize the side panels (drag, or arrow keys)',
      title: 'Drag to resize the side panels; double-click for the default width'
    })
    this.handle.addEventListener('pointerdown', (event) => this.drag(event))
    this.handle.addEventListener('dblclick', () => this.set(null))
    this.handle.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowLeft' ? STEP : event.key === 'ArrowRight' ? -STEP : 0
      if (step === 0) return
      event.preventDefault()
      this.set(this.current() + step)
    })
    window.addEventListener('resize', () => this.apply())
    this.apply()
    requestAnimationFrame(() => this.apply()) // on the page now: measured for real
  }

  get isWide(): boolean {
    return this.wide
  }

  /** Wide mode: the sidebar takes half the window (the notebook the other half). */
  toggleWide(): void {
    this.wide = !this.wide
    store(WIDE_KEY, this.wide ? '1' : null)
    this.apply()
  }

  onChange(listener: (wide: boolean) => void): void {
    this.listeners.add(listener)
  }

  private current(): number {
    return this.layout.querySelector('.sidebar')?.getBoundingClientRect().width ?? MIN_WIDTH
  }

  /** A width set by hand (null: the default); it ends wide mode. */
  private set(width: number | null): void {
    this.width = width === null ? null : Math.round(this.clamp(width))
    this.wide = false
    store(WIDTH_KEY, this.width === null ? null : String(this.width))
    store(WIDE_KEY, null)
    this.apply()
  }

  /** The room for both columns: the layout's width less its padding and gap. */
  private room(): number {
    // Not on the page yet: the window's width less the layout's usual padding and gap.
    if (!this.layout.isConnected) return window.innerWidth - 64
    const style = getComputedStyle(this.layout)
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight)
    return this.layout.clientWidth - padding - (parseFloat(style.columnGap) || 0)
  }

  private clamp(width: number): number {
    const most = Math.max(MIN_WIDTH, this.room() - MIN_NOTEBOOK)
    return Math.min(most, Math.max(MIN_WIDTH, width))
  }

  private apply(): void {
    // Wide mode lifts the layout's maximum width first: half of the whole window.
    this.layout.classList.toggle('sidebar-wide', this.wide)
    const width = this.wide ? this.clamp(this.room() / 2) : this.width === null ? null : this.clamp(this.width)
    if (width === null) this.layout.style.removeProperty('--sidebar-width')
    else this.layout.style.setProperty('--sidebar-width', `${Math.round(width)}px`)
    this.handle.setAttribute('aria-valuenow', String(Math.round(width ?? this.current())))
    for (const listener of this.listeners) listener(this.wide)
  }

  private drag(start: PointerEvent): void {
    start.preventDefault()
    const from = this.current()
    this.handle.setPointerCapture(start.pointerId)
    this.layout.classList.add('sidebar-resizing')
    const move = (event: PointerEvent): void => {
      // The sidebar is on the right: dragging its edge left widens it.
      this.width = Math.round(this.clamp(from + start.clientX - event.clientX))
      this.wide = false
      this.apply()
    }
    const end = (): void => {
      this.handle.removeEventListener('pointermove', move)
      this.handle.removeEventListener('pointerup', end)
      this.handle.removeEventListener('pointercancel', end)
      this.layout.classList.remove('sidebar-resizing')
      this.set(this.width)
    }
    this.handle.addEventListener('pointermove', move)
    this.handle.addEventListener('pointerup', end)
    this.handle.addEventListener('pointercancel', end)
  }
}
