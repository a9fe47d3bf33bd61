/** Choosing how to show an output: nbformat's multiline strings and mime-type priority. Pure. */

/** The mime types the client can show, richest first (JupyterLab's order). */
export const MIME_PRIORITY = [
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'text/markdown',
  'application/json',
  'text/latex',
  'text/plain'
] as const

export type ShownMimeType = (typeof MIME_PRIORITY)[number]

/** nbformat allows a string or a list of lines for every text field. */
export function joinText(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.map((part) => (typeof part === 'string' ? part : '')).join('')
  return ''
}

/** The richest mime type in `data` this client can show, or null. */
export function pickMimeType(data: Record<string, unknown>): ShownMimeType | null {
  for (const mime of MIME_PRIORITY) {
    if (mime in data && data[mime] !== undefined && data[mime] !== null) return mime
  }
  return null
}

/** A base64 payload as found in a notebook (possibly wrapped in lines) made fit for a data URL. */
export function cleanBase64(value: unknown): string {
  return joinText(value).replace(/\s+/g, '')
}

export type OutputJson = Record<string, unknown> & { output_type?: string }

/** Consecutive stream outputs of the same name shown as one block, as Jupyter does. */
export function mergeStreams(outputs: OutputJson[]): OutputJson[] {
  const merged: OutputJson[] = []
  for (const output of outputs) {
    const previous = merged[merged.length - 1]
    if (
      output.output_type === 'stream' &&
      previous?.output_type === 'stream' &&
      previous.name === output.name
    ) {
      merged[merged.length - 1] = { ...previous, text: joinText(previous.text) + joinText(output.text) }
    } else {
      merged.push(output)
    }
  }
  return merged
}

/** Applies carriage returns and backspaces the way a terminal would (progress bars). */
export function applyControlChars(text: string): string {
  if (!text.includes('\r') && !text.includes('\x08')) return text
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  return lines
    .map((line) => {
      const parts = line.split('\r')
      let shown = ''
      for (const part of parts) shown = part + shown.slice(part.length)
      // A backspace erases the character before it (and itself).
      while (shown.includes('\x08')) shown = shown.replace(/[^\x08]?\x08/, '')
      return shown
    })
    .join('\n')
}
