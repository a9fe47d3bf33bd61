/** The `kernels` command's reply, as choices for the owner's kernel picker. Pure. */

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
