/** The messages between the page and an output frame (postMessage), built and checked in
 * one place. Pure.
 *
 * The page sends one `render` message with the output's bundle; the frame answers with its
 * content's height, again whenever it changes. The page believes a message only when it
 * comes from that frame's own window (the caller checks `event.source`), has this shape,
 * and a height in range: a frame can size itself, and nothing else.
 */

import type { FrameRenderer } from './mimeBundle'

export const FRAME_MESSAGE_TAG = 'pairbook-output-frame'

/** The frame document's address (server/pairbook/app/outputframe.py). */
export const OUTPUT_FRAME_URL = '/output-frame'

/** The tallest a frame grows; past that its own content scrolls. */
export const MAX_FRAME_HEIGHT = 4000

export interface RenderMessage {
  tag: typeof FRAME_MESSAGE_TAG
  kind: 'render'
  renderer: FrameRenderer
  mime: string
  data: Record<string, unknown>
  metadata: Record<string, unknown>
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
