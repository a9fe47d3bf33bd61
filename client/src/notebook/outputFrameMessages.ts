/** The messages between the page and an output frame (postMessage), built and checked in
 * one place. Pure.
 *
 * The frame says `ready` when its script runs; the page answers with one `render` message
 * holding the output's bundle; the frame answers with its content's height, again whenever
 * it changes. A frame loads again when its cell moves in the page, so a later `ready` gets
 * the bundle again, up to MAX_RENDERS times: an output that reloads its own frame (a
 * `<meta http-equiv="refresh">`) stops there instead of looping. The page believes a message
 * only when it comes from that frame's own window (the caller checks `event.source`), has
 * this shape, and a height in range: a frame can ask for its own bundle and size itself,
 * and nothing else.
 */

import type { FrameRenderer } from './mimeBundle'

export const FRAME_MESSAGE_TAG = 'pairbook-output-frame'

/** The frame document's address (server/pairbook/app/outputframe.py). */
export const OUTPUT_FRAME_URL = '/output-frame'

/** The tallest a frame grows; past that its own content scrolls. */
export const MAX_FRAME_HEIGHT = 4000

/** How many times one frame gets its bundle. */
export const MAX_RENDERS = 50

/** The frame's padding around its output (frame/main.ts), in px. */
export const FRAME_PADDING = 8

/** How tall a frame starts, before it says: a plotly figure's height is known (its layout's,
 * or plotly's 450 px), so the page does not jump when it draws; others start small. */
export function initialFrameHeight(renderer: FrameRenderer, value: unknown): number {
  if (renderer !== 'plotly') return 24
  const layout = (value as { layout?: { height?: unknown } } | null)?.layout
  const height = typeof layout?.height === 'number' && layout.height > 0 ? layout.height : 450
  return Math.min(Math.ceil(height) + FRAME_PADDING, MAX_FRAME_HEIGHT)
}

export interface RenderMessage {
  tag: typeof FRAME_MESSAGE_TAG
  kind: 'render'
  renderer: FrameRenderer
  mime: string
  data: Record<string, unknown>
  metadata: Record<string, unknown>
}

export interface ReadyMessage {
  tag: typeof FRAME_MESSAGE_TAG
  kind: 'ready'
}

export interface SizeMessage {
  tag: typeof FRAME_MESSAGE_TAG
  kind: 'size'
  height: number
}

const RENDERERS: ReadonlySet<string> = new Set(['plotly', 'vega', 'bokeh', 'javascript', 'html'])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function renderMessage(
  renderer: FrameRenderer,
  mime: string,
  data: Record<string, unknown>,
  metadata: Record<string, unknown>
): RenderMessage {
  return { tag: FRAME_MESSAGE_TAG, kind: 'render', renderer, mime, data, metadata }
}

export function readyMessage(): ReadyMessage {
  return { tag: FRAME_MESSAGE_TAG, kind: 'ready' }
}

/** Whether `value` is a frame's ready message. */
export function isReadyMessage(value: unknown): boolean {
  return isRecord(value) && value.tag === FRAME_MESSAGE_TAG && value.kind === 'ready'
}

export function sizeMessage(height: number): SizeMessage {
  return { tag: FRAME_MESSAGE_TAG, kind: 'size', height }
}

/** The render message in `value`, or null (the frame ignores anything else). */
export function parseRenderMessage(value: unknown): RenderMessage | null {
  if (!isRecord(value) || value.tag !== FRAME_MESSAGE_TAG || value.kind !== 'render') return null
  const { renderer, mime, data, metadata } = value
  if (typeof renderer !== 'string' || !RENDERERS.has(renderer) || typeof mime !== 'string') return null
  if (!isRecord(data) || !(mime in data)) return null
  return renderMessage(renderer as FrameRenderer, mime, data, isRecord(metadata) ? metadata : {})
}

/** The height (px, whole, within 0..MAX_FRAME_HEIGHT) a size message asks for, or null when
 * `value` is not a size message. */
export function parseSizeMessage(value: unknown): number | null {
  if (!isRecord(value) || value.tag !== FRAME_MESSAGE_TAG || value.kind !== 'size') return null
  const { height } = value
  if (typeof height !== 'number' || !Number.isFinite(height) || height < 0) return null
  return Math.min(Math.ceil(height), MAX_FRAME_HEIGHT)
}
