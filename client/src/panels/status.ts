/** The connection badge in the header, and the banner for states that need the person. */

import { describeClose } from '../closeCodes'
import { type ConnectionState, describeState } from '../connectionState'
import { button, h } from '../dom'
import { clockTime, duration, stopText } from '../kernel/kernels'
import type { KernelRecord } from '../kernel/runs'

export class StatusBadge {
  readonly element: HTMLElement
  private readonly text: HTMLElement

  constructor() {
    this.text = h('span', { class: 'status-text' })
    this.element = h(
      'div',
      { class: 'status', role: 'status', 'aria-live': 'polite', 'data-state': 'connecting' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      this.text
    )
  }

  show(state: ConnectionState): void {
    this.element.dataset.state = state.kind
    const short =
      state.kind === 'offline' ? 'Offline' : state.kind === 'reload' ? 'Reload needed' : describeState(state)
    this.text.textContent = short
    this.element.title = describeState(state)
  }
}

/** A banner above the notebook for what the person must know or do. */
export class Banner {
  readonly element: HTMLElement
  private countdown = 0

  constructor() {
    this.element = h('div', { class: 'banners', 'aria-live': 'assertive' })
  }

  /** Shows the banner that fits the connection state (or none). */
  showConnection(state: ConnectionState, readOnly: boolean): void {
    this.clear('connection')
    if (state.kind === 'reload') {
      this.add(
        'connection',
        'warning',
        'This notebook was reloaded on the server since you opened it, so your copy cannot be merged any more. Reload to continue with the current version.',
        button('Reload', 'Reload the page', () => location.reload(), { class: 'btn primary' })
      )
    } else if (state.kind === 'denied') {
      this.add('connection', 'error', describeClose(state.code, state.reason), null)
    } else if (state.kind === 'offline') {
      const message = readOnly
        ? 'You are offline. The notebook catches up when the connection returns.'
        : 'You are offline. Keep working: your edits merge with your partners’ when the connection returns.'
      this.add('connection', 'info', message, null)
    }
  }

  /** Says that the kernel stopped (and why), or that the idle cull will stop it soon. */
  showKernel(kernel: KernelRecord, now: number): void {
    this.clear('kernel')
    window.clearTimeout(this.countdown)
    if (kernel.status === 'stopped') {
      const why = kernel.stopped === null ? '' : ` (${stopText(kernel.stopped, now)})`
      this.add('kernel', 'info', `The kernel stopped${why}: its variables are gone. Outputs, badges and the kernel state are from that kernel; the next run starts a new one.`, null)
    } else if (kernel.cull_at !== null) {
      const left = duration(kernel.cull_at - now)
      this.add('kernel', 'warning', `The kernel has been idle: the server stops it at ${clockTime(kernel.cull_at, now)} (in ${left}), and its variables with it. Run a cell to keep it.`, null)
      this.countdown = window.setTimeout(() => this.showKernel(kernel, Date.now() / 1000), 5000)
    }
  }

  add(key: string, level: 'info' | 'warning' | 'error', message: string, action: HTMLElement | null): void {
    this.clear(key)
    this.element.append(
      h('div', { class: `banner banner-${level}`, 'data-banner': key, role: level === 'info' ? 'status' : 'alert' }, h('span', {}, message), action)
    )
  }

  clear(key: string): void {
    for (const node of this.element.querySelectorAll(`[data-banner="${key}"]`)) node.remove()
  }
}

const TOAST_MS = 4000
const shown = new WeakMap<HTMLElement, { count: number; timer: number }>()

/** A short message that fades away (e.g. "viewers cannot edit"). The same message again while
 * it shows does not stack: it counts ("× 3") and stays a little longer. */
export function toast(message: string): void {
  let host = document.querySelector<HTMLElement>('.toasts')
  if (host === null) {
    host = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' })
    document.body.append(host)
  }
  const same = [...host.querySelectorAll<HTMLElement>('.toast')].find((item) => item.dataset.message === message)
  const item = same ?? h('div', { class: 'toast', 'data-message': message }, h('span', { class: 'toast-text' }, message), h('span', { class: 'toast-count' }))
  const seen = shown.get(item) ?? { count: 0, timer: 0 }
  seen.count += 1
  window.clearTimeout(seen.timer)
  seen.timer = window.setTimeout(() => item.remove(), TOAST_MS)
  shown.set(item, seen)
  const count = item.querySelector('.toast-count')
  if (count !== null) count.textContent = seen.count > 1 ? ` × ${seen.count}` : ''
  if (same === undefined) host.append(item)
}
