/** A code cell's outputs: stream text, rich results, errors with colored tracebacks. */

import { AnsiUp } from 'ansi_up'

import { h } from '../dom'
import { htmlNeedsFrame } from './htmlPolicy'
import { renderLatex, renderMarkdown } from './markdown'
import {
  applyControlChars,
  bundleOf,
  chooseRendering,
  cleanBase64,
  isBokehPlaceholder,
  joinText,
  mergeStreams,
  type OutputJson
} from './mimeBundle'
import { outputFrame } from './outputFrame'
import { sanitizeHtmlReport } from './sanitize'

const ansi = new AnsiUp()
ansi.escape_html = true
ansi.use_classes = true

function ansiBlock(className: string, text: string): HTMLElement {
  const pre = h('pre', { class: className })
  pre.innerHTML = ansi.ansi_to_html(applyControlChars(text))
  return pre
}

/** Draws widget view outputs (`application/vnd.jupyter.widget-view+json`): the page's
 * shared widgets. Without it a widget view shows its text form. */
export interface WidgetViews {
  render(data: Record<string, unknown>, fallback: string): HTMLElement
}

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'

function renderMime(output: OutputJson, widgets?: WidgetViews): HTMLElement {
  const data = bundleOf(output.data)
  const metadata = bundleOf(output.metadata)
  const view = data[WIDGET_VIEW]
  if (widgets !== undefined && typeof view === 'object' && view !== null) {
    return widgets.render(view as Record<string, unknown>, joinText(data['text/plain']))
  }
  const choice = chooseRendering(data)
  if (choice?.where === 'frame') return outputFrame(choice.renderer, choice.mime, data, metadata)
  if (choice?.where === 'hidden') return h('div', { class: 'output-hidden', hidden: true, 'data-mime': choice.mime })
  const mime = choice === null ? null : choice.mime
  const value = mime === null ? undefined : data[mime]
  switch (mime) {
    case 'text/html': {
      const html = joinText(value)
      const report = sanitizeHtmlReport(html)
      // HTML the sanitizer would change by more than a data frame's alignment rules shows as
      // written in the frame (its scripts run there), not as a gutted copy in the page.
      if (htmlNeedsFrame(report.removed)) return outputFrame('html', 'text/html', data, metadata)
      const div = h('div', { class: 'output-html' })
      div.innerHTML = report.html
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
    case 'text/latex': {
      const div = h('div', { class: 'output-latex' })
      renderLatex(div, joinText(value))
      return div
    }
    case 'text/plain':
      return ansiBlock('output-text', joinText(value))
    default:
      return h('pre', { class: 'output-text output-muted' }, `[${Object.keys(data).join(', ') || 'empty output'}]`)
  }
}

function renderOne(output: OutputJson, widgets?: WidgetViews): HTMLElement {
  switch (output.output_type) {
    case 'stream': {
      const name = output.name === 'stderr' ? 'stderr' : 'stdout'
      return ansiBlock(`output-stream ${name}`, joinText(output.text))
    }
    case 'execute_result':
    case 'display_data':
    case 'update_display_data':
      return renderMime(output, widgets)
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

/** One output, or a line saying it cannot be shown: a peer can write any value into the
 * document, and one output must not keep the others (or the cell) from showing. */
function renderSafely(output: OutputJson, widgets?: WidgetViews): HTMLElement {
  try {
    return renderOne(output, widgets)
  } catch (error) {
    console.warn('an output could not be shown', output, error)
    return h('pre', { class: 'output-text output-muted' }, '[an output this page cannot show]')
  }
}

/** The framed outputs `target` shows, by their output's JSON: a frame that is moved or
 * rebuilt reloads and runs its program again, so an unchanged output keeps its frame. */
const framedOutputs = new WeakMap<HTMLElement, Map<string, HTMLElement>>()

/** Shows `outputs` in `target`, keeping the frames and widget views of outputs that did
 * not change (`widgets` draws widget views). */
export function renderOutputs(target: HTMLElement, outputs: OutputJson[], widgets?: WidgetViews): void {
  const before = framedOutputs.get(target) ?? new Map<string, HTMLElement>()
  const after = new Map<string, HTMLElement>()
  const merged = mergeStreams(outputs)
  const nodes = merged.map((output, index) => {
    const key = output.output_type === 'stream' ? null : JSON.stringify(output)
    const kept = key === null ? undefined : before.get(key)
    if (key !== null) before.delete(key) // two equal outputs get a frame each
    // A placeholder is known by the output after it, which may arrive later.
    const placeholder = isBokehPlaceholder(merged, index)
    const node = placeholder ? h('div', { class: 'output-hidden', hidden: true }) : (kept ?? renderSafely(output, widgets))
    node.classList.add('output')
    const lasting = node.querySelector('iframe.output-frame') !== null || node.classList.contains('widget-area')
    if (key !== null && lasting) after.set(key, node)
    return node
  })
  framedOutputs.set(target, after)
  const shown = new Set(nodes)
  for (const child of [...target.children]) if (!shown.has(child as HTMLElement)) child.remove()
  // Insert around the kept nodes without moving them (their relative order is unchanged).
  nodes.forEach((node, index) => {
    const at = target.children[index] ?? null
    if (at !== node) target.insertBefore(node, at)
  })
  target.hidden = nodes.length === 0
}
