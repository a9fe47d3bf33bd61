/** The output frame's script (served as /output-frame/frame.js): it runs inside the
 * sandboxed frame, takes one output bundle from the page, renders it and tells the page
 * its height. It trusts only messages from the page (its parent window). */

import { parseRenderMessage, readyMessage, sizeMessage, type RenderMessage } from '../notebook/outputFrameMessages'
import { renderInFrame } from './renderers'

// Tables as in the page (style.css, .output-html): JupyterLab's rendered HTML tables.
const STYLE = `
html, body { margin: 0; padding: 0; background: transparent; }
body { display: flow-root; color: #1f2430; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
#output { padding: 4px 12px; overflow-x: auto; }
img, svg, canvas { max-width: 100%; }
table { border-collapse: collapse; border-spacing: 0; border: none; color: rgba(0, 0, 0, .87); font-size: 13px; table-layout: fixed; margin: 0 0 1em; }
thead { border-bottom: 1px solid #bdbdbd; vertical-align: bottom; }
td, th, tr { vertical-align: middle; padding: .5em; line-height: normal; white-space: normal; max-width: none; border: none; text-align: right; }
th { font-weight: bold; }
tbody tr:nth-child(odd) { background: #fff; }
tbody tr:nth-child(even) { background: #f5f5f5; }
tbody tr:hover { background: #e1f5fe; }
.frame-error { color: #b3261e; white-space: pre-wrap; font: 12px/1.4 ui-monospace, monospace; }
`

let rendered = false
let lastHeight = -1

function reportHeight(): void {
  const height = Math.ceil(document.body.getBoundingClientRect().height)
  if (height === lastHeight) return
  lastHeight = height
  window.parent.postMessage(sizeMessage(height), '*')
}

async function render(message: RenderMessage): Promise<void> {
  const target = document.createElement('div')
  target.id = 'output'
  document.body.append(target)
  new ResizeObserver(reportHeight).observe(document.body)
  try {
    await renderInFrame(target, message)
  } catch (error) {
    const pre = document.createElement('pre')
    pre.className = 'frame-error'
    pre.textContent = `This ${message.mime} output could not be rendered: ${(error as Error).message ?? String(error)}`
    target.append(pre)
  }
  document.body.dataset.rendered = message.renderer
  reportHeight()
}

function onMessage(event: MessageEvent): void {
  if (event.source !== window.parent || rendered) return
  const message = parseRenderMessage(event.data)
  if (message === null) return
  rendered = true
  void render(message)
}

const style = document.createElement('style')
style.textContent = STYLE
document.head.append(style)
window.addEventListener('message', onMessage)
window.parent.postMessage(readyMessage(), '*')
