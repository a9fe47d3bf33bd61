/** A code cell's outputs: stream text, rich results, errors with colored tracebacks. */

import { AnsiUp } from 'ansi_up'

import { h } from '../dom'
import { renderMarkdown } from './markdown'
import {
  applyControlChars,
  cleanBase64,
  joinText,
  mergeStreams,
  type OutputJson,
  pickMimeType
} from './mimeBundle'
import { sanitizeHtml } from './sanitize'

const ansi = new AnsiUp()
ansi.escape_html = true
ansi.use_classes = true

function ansiBlock(className: string, text: string): HTMLElement {
  const pre = h('pre', { class: className })
  pre.innerHTML = ansi.ansi_to_html(applyControlChars(text))
  return pre
}

function renderMime(output: OutputJson): HTMLElement {
  const data = (output.data ?? {}) as Record<string, unknown>
  const mime = pickMimeType(data)
  const value = mime === null ? undefined : data[mime]
  switch (mime) {
    case 'text/html': {
      const div = h('div', { class: 'output-html' })
      div.innerHTML = sanitizeHtml(joinText(value))
      return div
    }
    case 'image/svg+xml':
      // As an image, as JupyterLab shows untrusted SVG: its styles, scripts and links stay
      // inside it, and it loads nothing from elsewhere.
      return h(
        'div',
        { class: 'output-image' },
        h('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(joinText(value))}`, alt: 'SVG image output' })
      )
    case 'image/png':
    case 'image/jpeg':
    case 'image/gif': {
      const metadata = (output.metadata ?? {}) as Record<string, unknown>
      const size = (metadata[mime] ?? {}) as { width?: unknown; height?: unknown }
      return h(
        'div',
        { class: 'output-image' },
        h('img', {
          src: `data:${mime};base64,${cleanBase64(value)}`,
          alt: 'image output',
          width: typeof size.width === 'number' ? size.width : undefined,
          height: typeof size.height === 'number' ? size.height : undefined
        })
      )
    }
    case 'text/markdown': {
      const div = h('div', { class: 'output-markdown markdown-body' })
      renderMarkdown(div, joinText(value))
      return div
    }
    case 'application/json':
      return h('pre', { class: 'output-json' }, JSON.stringify(value, null, 2))
    case 'text/latex':
      return h('pre', { class: 'output-text' }, joinText(value))
    case 'text/plain':
      return ansiBlock('output-text', joinText(value))
    default:
      return h('pre', { class: 'output-text output-muted' }, `[${Object.keys(data).join(', ') || 'empty output'}]`)
  }
}

function renderOne(output: OutputJson): HTMLElement {
  switch (output.output_type) {
    case 'stream': {
      const name = output.name === 'stderr' ? 'stderr' : 'stdout'
      return ansiBlock(`output-stream ${name}`, joinText(output.text))
    }
    case 'execute_result':
    case 'display_data':
    case 'update_display_data':
      return renderMime(output)
    case 'error': {
      const traceback = Array.isArray(output.traceback)
        ? output.traceback.map((line) => joinText(line)).join('\n')
        : `${joinText(output.ename)}: ${joinText(output.evalue)}`
      return ansiBlock('output-error', traceback)
    }
    default:
      return h('pre', { class: 'output-text output-muted' }, `[${String(output.output_type)} output]`)
  }
}

/** Replaces `target`'s content with the rendered outputs. */
export function renderOutputs(target: HTMLElement, outputs: OutputJson[]): void {
  const nodes = mergeStreams(outputs).map((output) => {
    const node = renderOne(output)
    node.classList.add('output')
    return node
  })
  target.replaceChildren(...nodes)
  target.hidden = nodes.length === 0
}
