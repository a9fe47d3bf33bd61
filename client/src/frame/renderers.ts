/** The output frame's renderers: each shows one kind of output inside the frame. The big
 * libraries (plotly, vega, BokehJS) are loaded only by the frames that show them, from the
 * frame's own folder on the server (served by pairbook: no CDN, works offline). */

import { joinText, vegaFlavour } from '../notebook/mimeBundle'
import type { RenderMessage } from '../notebook/outputFrameMessages'

const ASSETS = '/output-frame/'

/** Loads one of the frame's scripts. */
function loadScript(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = ASSETS + name
    script.onload = () => resolve()
    script.onerror = () => reject(new Error(`the renderer ${name} did not load`))
    document.head.append(script)
  })
}

async function loadScripts(names: string[]): Promise<void> {
  for (const name of names) await loadScript(name)
}

interface PlotlyGlobal {
  newPlot(target: HTMLElement, data: unknown, layout?: unknown, config?: unknown): Promise<unknown>
}
type VegaEmbed = (target: HTMLElement, spec: unknown, options?: Record<string, unknown>) => Promise<unknown>

function global<T>(name: string): T {
  const value = (window as unknown as Record<string, unknown>)[name]
  if (value === undefined) throw new Error(`${name} is missing after loading it`)
  return value as T
}

/** The library versions altair's HTML asks its loader for (`maybeLoadScript("vega", "6")`),
 * or null when `html` is not altair's. */
export function altairVersions(html: string): Record<string, string> | null {
  const versions: Record<string, string> = {}
  for (const match of html.matchAll(/maybeLoadScript\("(vega|vega-lite|vega-embed)",\s*"([^"]*)"\)/g)) {
    versions[`${match[1]!.replace('-', '')}_version`] = match[2]!
  }
  return Object.keys(versions).length === 3 ? versions : null
}

/** HTML as written, its scripts run in order (a fragment's scripts run when inserted).
 * Chart libraries' HTML expects its library from a CDN, which the frame cannot reach:
 * altair's loads vega unless its `VEGA_DEBUG` says the versions it wants are there, plotly's
 * calls `Plotly.newPlot` after a CDN `<script>` (or through require.js). The frame loads
 * pairbook's copies first and says so. */
async function renderHtml(target: HTMLElement, html: string): Promise<void> {
  const globals = window as unknown as Record<string, unknown>
  const altair = altairVersions(html)
  if (altair !== null) {
    await loadVega()
    globals.VEGA_DEBUG = altair
  }
  if (/\bPlotly\.newPlot\(/.test(html)) {
    await loadScripts(['plotly.min.js'])
    // plotly's "notebook" HTML: require(["plotly"], function (Plotly) { … })
    globals.require ??= (deps: string[], callback: (...modules: unknown[]) => void) =>
      callback(...deps.map((dep) => (dep === 'plotly' ? globals.Plotly : undefined)))
  }
  target.append(document.createRange().createContextualFragment(html))
}

async function renderPlotly(target: HTMLElement, figure: unknown): Promise<void> {
  await loadScripts(['plotly.min.js'])
  const { data, layout, config } = (figure ?? {}) as { data?: unknown; layout?: Record<string, unknown>; config?: Record<string, unknown> }
  // A responsive plot fills its container: the container has the figure's height (plotly's
  // default 450 px), the frame the container's.
  const plot = document.createElement('div')
  plot.style.height = `${typeof layout?.height === 'number' ? layout.height : 450}px`
  target.append(plot)
  await global<PlotlyGlobal>('Plotly').newPlot(plot, data ?? [], layout ?? {}, {
    responsive: true,
    displaylogo: false,
    ...config,
    // "Send to cloud" would post the figure to plotly's server, "download as PNG" needs a
    // download: the sandbox refuses both, so no dead buttons.
    showSendToCloud: false,
    modeBarButtonsToRemove: ['toImage', ...(Array.isArray(config?.modeBarButtonsToRemove) ? config.modeBarButtonsToRemove : [])]
  })
}

/** Loads vega, vega-lite and vega-embed, the last made to show no action menu: its exports
 * and "open in editor" need downloads and popups, which the sandbox refuses. */
async function loadVega(): Promise<VegaEmbed> {
  await loadScripts(['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'])
  const embed = global<VegaEmbed>('vegaEmbed')
  const withoutActions: VegaEmbed = (target, spec, options) => embed(target, spec, { ...options, actions: false })
  ;(window as unknown as Record<string, unknown>).vegaEmbed = Object.assign(withoutActions, embed)
  return withoutActions
}

async function renderVega(target: HTMLElement, mime: string, spec: unknown): Promise<void> {
  const embed = await loadVega()
  await embed(target, spec, { mode: vegaFlavour(mime)?.lite === false ? 'vega' : 'vega-lite' })
}

/** The ids of the elements a bokeh plot's script renders into (`render_items`' roots). In a
 * notebook they are in an earlier output; in the frame the plot brings its own. */
export function bokehRootElements(code: string): string[] {
  const ids: string[] = []
  for (const roots of code.matchAll(/"roots":\{([^}]*)\}/g)) {
    for (const entry of roots[1]!.matchAll(/"[^"]*":"([^"]+)"/g)) ids.push(entry[1]!)
  }
  return ids
}

async function renderBokeh(target: HTMLElement, code: string): Promise<void> {
  const scripts = ['bokeh.min.js', 'bokeh-gl.min.js', 'bokeh-widgets.min.js', 'bokeh-tables.min.js']
  if (/MathText|TeX|MathML/.test(code)) scripts.push('bokeh-mathjax.min.js')
  await loadScripts(scripts.map((name) => `bokeh/${name}`))
  for (const id of bokehRootElements(code)) {
    const root = document.createElement('div')
    root.id = id
    target.append(root)
  }
  runJavascript(target, code)
}

function runJavascript(target: HTMLElement, code: string): void {
  // As in Jupyter: the script gets the output's element as `element`.
  new Function('element', code)(target)
}

export async function renderInFrame(target: HTMLElement, message: RenderMessage): Promise<void> {
  const value = message.data[message.mime]
  switch (message.renderer) {
    case 'plotly':
      return renderPlotly(target, value)
    case 'vega':
      return renderVega(target, message.mime, value)
    case 'javascript':
      return runJavascript(target, joinText(value))
    case 'bokeh':
      return renderBokeh(target, joinText(value))
    case 'html':
      return renderHtml(target, joinText(value))
  }
}
