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

/** The renderers of the output frame (frame/), each for MIME types whose output is a
 * program: it runs in the sandboxed frame, never in the page. */
export type FrameRenderer = 'plotly' | 'vega' | 'bokeh' | 'javascript' | 'html'

/** How one output is shown: in the page (sanitized) or in the output frame. */
export type OutputChoice =
  | { where: 'page'; mime: ShownMimeType }
  | { where: 'frame'; renderer: FrameRenderer; mime: string }
  | { where: 'hidden'; mime: string }
  | null

const PLOTLY = 'application/vnd.plotly.v1+json'
// `+json` as JupyterLab names them; altair 6 writes `application/vnd.vegalite.v6.json`.
const VEGA = /^application\/vnd\.vega(?:lite)?\.v\d+(?:\.\d+)*[+.]json$/
const BOKEH_EXEC = 'application/vnd.bokehjs_exec.v0+json'
const BOKEH_LOAD = 'application/vnd.bokehjs_load.v0+json'
const JAVASCRIPT = ['application/javascript', 'text/javascript']

function present(data: Record<string, unknown>, mime: string): boolean {
  return mime in data && data[mime] !== undefined && data[mime] !== null
}

/** Where and as what to show an output's `data`, JupyterLab's renderer order: the chart
 * and script types first (in the frame), then what the page shows itself. `text/html` goes
 * to the page here; the caller sends it to the frame when sanitizing it would strip more
 * than styling (`htmlNeedsFrame`). BokehJS's loader output shows nothing: the frame brings
 * BokehJS itself for every plot (its `bokehjs_exec` output's script). */
export function chooseRendering(data: Record<string, unknown>): OutputChoice {
  if (present(data, PLOTLY)) return { where: 'frame', renderer: 'plotly', mime: PLOTLY }
  const vega = Object.keys(data).find((mime) => VEGA.test(mime) && present(data, mime))
  if (vega !== undefined) return { where: 'frame', renderer: 'vega', mime: vega }
  const bokeh = JAVASCRIPT.find((mime) => present(data, mime))
  if (present(data, BOKEH_EXEC) && bokeh !== undefined) return { where: 'frame', renderer: 'bokeh', mime: bokeh }
  if (present(data, BOKEH_LOAD)) return { where: 'hidden', mime: BOKEH_LOAD }
  const script = JAVASCRIPT.find((mime) => present(data, mime))
  if (script !== undefined) return { where: 'frame', renderer: 'javascript', mime: script }
  const mime = pickMimeType(data)
  return mime === null ? null : { where: 'page', mime }
}

/** Whether `outputs[index]` is HTML that bokeh shows just before its loader or a plot's
 * script: the "Loading BokehJS ..." banner the loader would replace, or the empty element
 * the plot's script renders into. pairbook's frames load BokehJS and bring that element
 * themselves, so these show nothing. */
export function isBokehPlaceholder(outputs: readonly OutputJson[], index: number): boolean {
  if (index + 1 >= outputs.length) return false
  const data = bundleOf(outputs[index]?.data)
  const next = bundleOf(outputs[index + 1]?.data)
  if (!present(data, 'text/html')) return false
  return present(next, BOKEH_LOAD) || present(next, BOKEH_EXEC)
}

/** The version of a vega MIME type's schema and whether it is vega-lite, e.g.
 * `application/vnd.vegalite.v5+json` → `{ lite: true, major: 5 }`. */
export function vegaFlavour(mime: string): { lite: boolean; major: number } | null {
  const match = /^application\/vnd\.vega(lite)?\.v(\d+)/.exec(mime)
  return match === null ? null : { lite: match[1] !== undefined, major: Number(match[2]) }
}

/** A base64 payload as found in a notebook (possibly wrapped in lines) made fit for a data URL. */
export function cleanBase64(value: unknown): string {
  return joinText(value).replace(/\s+/g, '')
}

export type OutputJson = Record<string, unknown> & { output_type?: string }

/** An output's `data` or `metadata` as the object it should be: any other value (a peer
 * writes what it likes into the document) is an empty one. */
export function bundleOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

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
