/** An output that is a program (HTML with scripts, JavaScript, plotly, vega, bokeh) shown in
 * a sandboxed frame: `sandbox="allow-scripts"` without `allow-same-origin`, so the frame has
 * an opaque origin and cannot read this page, its storage, cookies, token or socket, navigate
 * it, open windows or submit forms. The frame document (`/output-frame`) has a policy of its
 * own; the page sends it the bundle when it says it is ready (once) and sets its height from
 * the frame's size messages, believing only those that come from that frame's own window. */

import { h } from '../dom'
import type { FrameRenderer } from './mimeBundle'
import {
  initialFrameHeight,
  isReadyMessage,
  MAX_RENDERS,
  OUTPUT_FRAME_URL,
  parseSizeMessage,
  type RenderMessage,
  renderMessage
} from './outputFrameMessages'

let listening = false

/** What a screen reader announces for each kind of framed output. */
const FRAME_TITLES: Record<FrameRenderer, string> = {
  plotly: 'Plotly chart',
  vega: 'Vega-Lite chart',
  bokeh: 'Bokeh plot',
  javascript: 'Script output',
  html: 'HTML output'
}

/** Each frame's bundle, and how many times it was sent. */
const bundles = new WeakMap<HTMLIFrameElement, { message: RenderMessage; sent: number }>()

/** The output frame whose window sent a message, if any (a frame's window is the only
 * proof of who sent it: the frame's origin is opaque, `null` for all of them). */
function frameOf(source: MessageEventSource | null): HTMLIFrameElement | null {
  if (source === null) return null
  for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe.output-frame')) {
    if (frame.contentWindow === source) return frame
  }
  return null
}

function onFrameMessage(event: MessageEvent): void {
  const frame = frameOf(event.source)
  if (frame === null || event.origin !== 'null') return
  if (isReadyMessage(event.data)) {
    const bundle = bundles.get(frame)
    if (bundle === undefined || bundle.sent >= MAX_RENDERS) return
    bundle.sent += 1
    // '*' is the only target an opaque origin matches; the page's frame-src keeps the frame
    // on /output-frame, so the bundle (the notebook's own output) reaches no other document.
    frame.contentWindow?.postMessage(bundle.message, '*')
    return
  }
  const height = parseSizeMessage(event.data)
  // The height attribute, not a style: the page's content carries no style attributes.
  if (height !== null) frame.height = String(height)
}

/** A frame rendering one output; `data` and `metadata` are the output's bundle. */
export function outputFrame(
  renderer: FrameRenderer,
  mime: string,
  data: Record<string, unknown>,
  metadata: Record<string, unknown>
): HTMLElement {
  if (!listening) {
    window.addEventListener('message', onFrameMessage)
    listening = true
  }
  const frame = h('iframe', {
    sandbox: 'allow-scripts',
    class: 'output-frame',
    title: FRAME_TITLES[renderer],
    referrerpolicy: 'no-referrer',
    loading: 'lazy',
    height: initialFrameHeight(renderer, data[mime]),
    'data-renderer': renderer
  })
  bundles.set(frame, { message: renderMessage(renderer, mime, data, metadata), sent: 0 })
  frame.src = OUTPUT_FRAME_URL
  return h('div', { class: 'output-framed' }, frame)
}
