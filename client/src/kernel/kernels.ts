/** The `kernels` command's reply, as choices for the owner's kernel picker; and the kernel's
 * life as the page tells it (stopped why and when, the idle cull, runs from a kernel that is
 * gone). Pure. */

import { type ExecutionRecord, isFinished, type KernelRecord, type KernelStop } from './runs'

export interface KernelChoice {
  name: string
  displayName: string
}

export interface KernelChoices {
  choices: KernelChoice[]
  current: string | null
}

/** Reads `{"kernels": {name: display_name}, "current": name}`; null if it is not that shape.
 * Choices are sorted by display name; the current kernel is always among them (even when it is
 * no longer installed), so the picker can show it. */
export function kernelChoices(result: unknown): KernelChoices | null {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return null
  const { kernels, current } = result as Record<string, unknown>
  if (typeof kernels !== 'object' || kernels === null || Array.isArray(kernels)) return null
  const choices: KernelChoice[] = []
  for (const [name, display] of Object.entries(kernels as Record<string, unknown>)) {
    choices.push({ name, displayName: typeof display === 'string' && display !== '' ? display : name })
  }
  const now = typeof current === 'string' && current !== '' ? current : null
  if (now !== null && !choices.some((choice) => choice.name === now)) choices.push({ name: now, displayName: now })
  choices.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.name.localeCompare(b.name))
  return { choices, current: now }
}

// The kernel's life as the page tells it ---------------------------------------------------

/** "14:02" (local time; with the date when it is not today). Seconds since the epoch. */
export function clockTime(at: number, now: number): string {
  const when = new Date(at * 1000)
  const time = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}`
  return when.toDateString() === new Date(now * 1000).toDateString() ? time : `${when.toLocaleDateString()} ${time}`
}

/** "40 s", "12 min", "2 h", "3 days". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const minutes = Math.floor(s / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`
}

/** Why the kernel stopped, in a few words: "idle for 2 h, by the server, 14:02",
 * "shut down by Ana, 14:02", "the kernel died, 14:02", "the server stopped". */
export function stopText(stop: KernelStop, now: number): string {
  const at = stop.at === null ? null : clockTime(stop.at, now)
  const when = at === null ? '' : `, ${at}`
  switch (stop.reason) {
    case 'idle':
      return `idle${stop.idle_for === null ? '' : ` for ${duration(stop.idle_for)}`}, by the server${when}`
    case 'shutdown':
      return `shut down by ${stop.by?.name ?? 'someone'}${when}`
    case 'died':
      return `the kernel died${when}`
    case 'server':
      return at === null ? 'the server stopped' : `the server stopped${when}`
    case 'moved':
      return `its server process stopped, its state is gone${when}`
    default:
      return `${stop.reason}${when}`
  }
}

/** The header's kernel line: "Python 3 · idle", "Python 3 · stopped (idle for 2 h, by the
 * server, 14:02)", "Python 3 · idle · stops in 50 s (idle)". */
export function kernelLine(kernel: KernelRecord, now: number): string {
  const name = kernel.display_name ?? kernel.name ?? 'Kernel'
  let line = `${name} · ${kernel.status}`
  if (kernel.status === 'stopped' && kernel.stopped !== null) line += ` (${stopText(kernel.stopped, now)})`
  const cull = cullNote(kernel, now)
  if (cull !== null) line += ` · ${cull}`
  return line
}

/** "idle kernel stops in 50 s" while the idle cull is near; null otherwise. */
export function cullNote(kernel: KernelRecord, now: number): string | null {
  if (kernel.cull_at === null || kernel.status === 'stopped') return null
  return `idle kernel stops in ${duration(kernel.cull_at - now)}`
}

/** Whether no kernel is there (it stopped, died, or none started since the room loaded). */
export function kernelGone(kernel: KernelRecord): boolean {
  return kernel.status === 'stopped' || kernel.status === 'dead' || kernel.status === 'not started'
}

/** Whether a finished run came from a kernel that is gone: none runs now, or the current one
 * started after the run finished (a restart, a shutdown, a cull, a crash came between). */
export function fromGoneKernel(run: ExecutionRecord, kernel: KernelRecord): boolean {
  if (!isFinished(run) || run.started_at === null) return false
  if (kernelGone(kernel)) return true
  return kernel.started_at !== null && (run.finished_at ?? 0) < kernel.started_at
}

export const GONE = 'from a kernel that is gone'

/** The kernel-state panel's notice while no kernel runs but the view of the last one stays. */
export function stateNotice(kernel: KernelRecord, now: number): string | null {
  if (kernel.status !== 'stopped') return null
  const why = kernel.stopped === null ? '' : ` (${stopText(kernel.stopped, now)})`
  return `From a kernel that is gone${why}: what it held when it stopped. The next run starts a new kernel and clears this.`
}
