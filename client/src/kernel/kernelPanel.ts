/** The shared kernel on screen: its status in the toolbar, the run / interrupt / restart
 * buttons (not for viewers), and a sidebar panel with the current run, the last batch that
 * stopped at a failing run (and a toast to its owner), the queue (who queued what, with
 * Cancel for your own runs or any as the owner) and the last kernel event. */

import { button, h, icon, ICONS } from '../dom'
import type { KernelControl } from '../mob/mobState'
import { isColor } from '../panels/presence'
import { toast } from '../panels/status'
import { kernelChoices, kernelLine } from './kernels'
import type { RunStore } from './runStore'
import { canCancel, type KernelRecord, kernelEventText, kernelStatusText, type ExecutionRecord, type StoppedBatch, stoppedBatchSummary, stoppedBatchText } from './runs'

export interface KernelPanelOptions {
  runs: RunStore
  canRun: boolean
  me: { id: string | null; owner: boolean }
  /** Where a cell is, as a person reads it ("cell 3"). */
  describeCell: (id: string) => string
  runSelected: () => void
  runAll: () => void
  runAbove: () => void
  runBelow: () => void
  /** The `kernels` command's result (owner only: the picker). */
  listKernels: () => Promise<unknown>
  /** Switch the room's kernel; resolves to whether the server accepted it. */
  setKernel: (name: string) => Promise<boolean>
  interrupt: () => void
  /** Restart the kernel; resolves to whether the server did. */
  restart: () => Promise<boolean>
  cancel: (execution: string) => void
  /** Why this person may not interrupt or restart now (a navigator in a mob), or null. */
  controlRefusal: (action: KernelControl, runner: string | null) => string | null
}

export class KernelPanel {
  readonly indicator: HTMLElement
  readonly controls: HTMLElement | null
  readonly element: HTMLElement
  private readonly statusText: HTMLElement
  private readonly current: HTMLElement
  private readonly queue: HTMLElement
  private readonly event: HTMLElement
  private readonly stopped: HTMLElement
  /** The stopped batch last shown (undefined: nothing shown yet). */
  private seenBatch: string | null | undefined = undefined
  private readonly interruptButton: HTMLButtonElement | null
  private readonly kernelName: HTMLElement
  private readonly picker: HTMLSelectElement | null
  private state: KernelRecord

  constructor(private readonly options: KernelPanelOptions) {
    this.statusText = h('span', { class: 'kernel-status-text' })
    this.indicator = h(
      'div',
      { class: 'kernel-status', role: 'status', 'aria-live': 'polite', 'data-status': 'not started' },
      h('span', { class: 'kernel-dot', 'aria-hidden': 'true' }),
      this.statusText
    )
    if (options.canRun) {
      this.interruptButton = button(icon(ICONS.stop), 'Interrupt the kernel', () => options.interrupt(), { class: 'tool' })
      this.controls = h(
        'div',
        { class: 'tool-group kernel-tools' },
        button(h('span', {}, icon(ICONS.run), ' Run'), 'Run the selected cell and select the next', () => options.runSelected(), { class: 'tool', shortcut: 'Shift+Enter' }),
        button(h('span', {}, icon(ICONS.runAll), ' Run all'), 'Run all cells', () => options.runAll(), { class: 'tool' }),
        button(h('span', {}, icon(ICONS.up), ' Above'), 'Run all cells above the selected cell', () => options.runAbove(), { class: 'tool' }),
        button(h('span', {}, icon(ICONS.down), ' Below'), 'Run the selected cell and all cells below', () => options.runBelow(), { class: 'tool' }),
        this.interruptButton,
        button(icon(ICONS.restart), 'Restart the kernel', () => this.confirmRestart(), { class: 'tool' }),
        button(h('span', {}, icon(ICONS.restart), icon(ICONS.runAll)), 'Restart the kernel and run all cells', () => this.confirmRestart(true), { class: 'tool' })
      )
    } else {
      this.interruptButton = null
      this.controls = null
    }
    this.kernelName = h('span', { class: 'kernel-name' })
    if (options.me.owner) {
      this.picker = h('select', { class: 'kernel-picker', 'aria-label': 'Kernel', title: 'Switch the kernel for everyone in this notebook' }) as HTMLSelectElement
      this.picker.addEventListener('change', () => void this.pick())
      this.picker.addEventListener('focus', () => void this.loadKernels())
    } else {
      this.picker = null
    }
    this.current = h('ul', { class: 'kernel-current', 'aria-label': 'Running now' })
    this.queue = h('ol', { class: 'kernel-queue', 'aria-label': 'Queued runs' })
    this.event = h('div', { class: 'kernel-event muted' })
    this.stopped = h('div', { class: 'kernel-stopped', role: 'status' })
    this.element = h(
      'section',
      { class: 'panel kernel-panel', 'aria-labelledby': 'kernel-title' },
      h('h2', { id: 'kernel-title' }, 'Kernel'),
      h('div', { class: 'kernel-choice' }, this.picker ?? this.kernelName),
      this.current,
      this.stopped,
      this.queue,
      this.event
    )
    this.state = options.runs.kernelRecord
    options.runs.onKernel((state) => this.show(state))
    window.setInterval(() => this.show(this.state), 5_000) // "2 min ago", the cull countdown
  }

  show(state: KernelRecord): void {
    this.state = state
    const now = Date.now() / 1000
    const name = state.display_name ?? state.name
    this.indicator.dataset.status = state.status
    this.statusText.textContent = name === null && state.status !== 'stopped' ? kernelStatusText(state.status) : kernelLine(state, now)
    this.indicator.title = state.status === 'stopped' || state.cull_at !== null ? kernelLine(state, now) : kernelStatusText(state.status)
    const refusal = this.options.controlRefusal('interrupt', state.current?.user.id ?? null)
    this.interruptButton?.toggleAttribute('disabled', state.current === null || refusal !== null)
    if (this.interruptButton) this.interruptButton.title = refusal ?? 'Interrupt the kernel'
    this.kernelName.textContent = name ?? 'No kernel yet'
    if (this.picker !== null && state.name !== null && this.picker.value !== state.name && document.activeElement !== this.picker) {
      if (![...this.picker.options].some((option) => option.value === state.name)) {
        this.picker.append(h('option', { value: state.name }, name ?? state.name))
      }
      this.picker.value = state.name
    }

    const current = state.current
    this.current.replaceChildren(
      current === null
        ? h('li', { class: 'muted' }, name !== null ? `${name}: ${state.status}` : kernelStatusText(state.status))
        : this.runLine(current, current.status === 'waiting-input' ? `waiting for ${current.user.name}'s input` : `running for ${current.user.name}`, this.stopButton(current, refusal))
    )
    this.queue.replaceChildren(
      ...state.queue.map((record) =>
        this.runLine(
          record,
          `queued by ${record.user.name}`,
          canCancel(record, this.options.me)
            ? button('Cancel', `Cancel ${this.options.describeCell(record.cell_id)} queued by ${record.user.name}`, () => this.options.cancel(record.id), { class: 'btn small' })
            : null
        )
      )
    )
    this.queue.hidden = state.queue.length === 0
    this.showStopped(state.stopped_batch, now)
    this.event.textContent = state.last_event === null ? '' : `Kernel ${kernelEventText(state.last_event, now)}`
    this.event.hidden = state.last_event === null
  }

  /** Interrupt on the running cell's line (not for viewers): disabled, saying why, for a
   * navigator in a mob whose run it is not. */
  private stopButton(current: ExecutionRecord, refusal: string | null): HTMLElement | null {
    if (!this.options.canRun) return null
    const stop = button('Interrupt', refusal ?? `Interrupt ${this.options.describeCell(current.cell_id)}, run by ${current.user.name}`, () => this.options.interrupt(), { class: 'btn small kernel-stop' })
    stop.disabled = refusal !== null
    return stop
  }

  /** Shows the kernel again (the mob's roles changed who may stop it). */
  refresh(): void {
    this.show(this.state)
  }

  /** Whose batch stopped where and why; its owner also gets a toast when it happens. */
  private showStopped(note: StoppedBatch | null, now: number): void {
    // Mid-sentence: "stopped at cell 3", not "Cell 3" as a line of the queue starts.
    const where = (id: string): string => this.options.describeCell(id).replace(/^C/, 'c')
    const text = note === null ? '' : stoppedBatchText(note, where, now)
    this.stopped.textContent = text
    this.stopped.hidden = note === null
    const fresh = note !== null && note.batch !== this.seenBatch && Math.abs(now - note.at) < 60
    if (fresh && note.by.id === this.options.me.id) toast(`Your ${stoppedBatchSummary(note, where)}.`)
    this.seenBatch = note?.batch ?? null
  }

  private runLine(record: ExecutionRecord, what: string, action: HTMLElement | null): HTMLElement {
    const color = record.user.color !== undefined && isColor(record.user.color) ? record.user.color : '#8a93a6'
    return h(
      'li',
      { class: 'kernel-run', 'data-status': record.status, style: `--person:${color}` },
      h('span', { class: 'run-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'kernel-run-text' }, h('strong', {}, this.options.describeCell(record.cell_id)), ` ${what}`),
      action
    )
  }

  /** Fills the owner's picker from the `kernels` command. */
  async loadKernels(): Promise<void> {
    const picker = this.picker
    if (picker === null) return
    const parsed = kernelChoices(await this.options.listKernels())
    if (parsed === null) return
    const selected = this.state.name ?? parsed.current
    picker.replaceChildren(...parsed.choices.map((choice) => h('option', { value: choice.name }, choice.displayName)))
    if (selected !== null) picker.value = selected
  }

  private async pick(): Promise<void> {
    const picker = this.picker
    if (picker === null) return
    const wanted = picker.value
    if (wanted === this.state.name) return
    const ok = await this.options.setKernel(wanted)
    if (!ok && this.state.name !== null) picker.value = this.state.name
  }

  /** Asks before restarting: everyone shares the kernel. Restart is the default answer, as
   * in JupyterLab (0, 0, Enter restarts); Escape or Cancel keeps the kernel. `thenRunAll`:
   * JupyterLab's "Restart the kernel and run all cells", once the server has restarted it. */
  confirmRestart(thenRunAll = false): void {
    const restart = button('Restart', 'Restart the kernel for everyone', () => {
      dialog.close()
      void this.options.restart().then((ok) => {
        if (ok && thenRunAll) this.options.runAll()
      })
    }, { class: 'btn primary' })
    restart.autofocus = true
    const then = thenRunAll ? ' Then every cell runs, from the top.' : ''
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'restart-title' },
      h('h2', { id: 'restart-title' }, thenRunAll ? 'Restart the kernel and run all cells?' : 'Restart the kernel?'),
      h('p', {}, `Everyone in this notebook shares the kernel: its variables are lost for all, and queued runs are cancelled.${then}`),
      h(
        'div',
        { class: 'row end' },
        button('Cancel', 'Keep the kernel running', () => dialog.close(), { class: 'btn' }),
        restart
      )
    )
    dialog.addEventListener('close', () => dialog.remove())
    document.body.append(dialog)
    dialog.showModal()
  }
}
