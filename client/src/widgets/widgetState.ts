/** The shared `widgets` map as the page reads it: one record per widget model the kernel
 * made (pairbook/kernel/widgetdoc.py writes it). Pure: Yjs values in, plain values out. */

import * as Y from 'yjs'

import type { UserRecord } from '../schema'

/** The widget libraries this page renders; a model of any other shows its text fallback. */
export const KNOWN_MODULES = ['@jupyter-widgets/base', '@jupyter-widgets/controls', '@jupyter-widgets/output'] as const

/** The MIME type of a widget view in a cell's outputs (as Jupyter writes it). */
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json'

export interface WidgetRecord {
  id: string
  /** The model's JSON state; its binary values are null here and listed in `buffers`. */
  state: Record<string, unknown>
  bufferPaths: (string | number)[][]
  buffers: DataView[]
  /** Who changed it last (null: the kernel), and whether its kernel is gone. */
  by: UserRecord | null
  gone: boolean
}

export function isKnownModule(module: unknown): boolean {
  return typeof module === 'string' && (KNOWN_MODULES as readonly string[]).includes(module)
}

/** One model's record, or null when the map has no such model. */
export function readRecord(ymodels: Y.Map<unknown>, id: string): WidgetRecord | null {
  const ymodel = ymodels.get(id)
  if (!(ymodel instanceof Y.Map)) return null
  const ystate = ymodel.get('state')
  const ybuffers = ymodel.get('buffers')
  const state = ystate instanceof Y.Map ? (ystate.toJSON() as Record<string, unknown>) : {}
  const { bufferPaths, buffers } = readBuffers(ybuffers instanceof Y.Map ? ybuffers : null)
  const by = ymodel.get('by')
  return { id, state, bufferPaths, buffers, by: isUser(by) ? by : null, gone: ymodel.get('gone') === true }
}

/** The binary values of a model, for `put_buffers`: their paths and their bytes. */
export function readBuffers(ybuffers: Y.Map<unknown> | null, keys?: Set<string>): { bufferPaths: (string | number)[][]; buffers: DataView[] } {
  const bufferPaths: (string | number)[][] = []
  const buffers: DataView[] = []
  if (ybuffers === null) return { bufferPaths, buffers }
  for (const [path, value] of ybuffers.entries()) {
    if (!(value instanceof Uint8Array)) continue
    const parsed = parsePath(path)
    if (parsed === null || (keys !== undefined && !keys.has(String(parsed[0])))) continue
    bufferPaths.push(parsed)
    buffers.push(new DataView(value.buffer, value.byteOffset, value.byteLength))
  }
  return { bufferPaths, buffers }
}

function parsePath(path: string): (string | number)[] | null {
  try {
    const parsed: unknown = JSON.parse(path)
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((step) => typeof step === 'string' || typeof step === 'number')) {
      return parsed as (string | number)[]
    }
  } catch {
    // not a path pairbook wrote: ignored
  }
  return null
}

function isUser(value: unknown): value is UserRecord {
  return typeof value === 'object' && value !== null && typeof (value as UserRecord).id === 'string' && typeof (value as UserRecord).name === 'string'
}

/** What changed in the map, per model, from one batch of Yjs events: models that appeared
 * or left, the state keys (and binary values) that changed, and models whose `gone` flag
 * turned on. */
export interface MapChanges {
  added: Set<string>
  removed: Set<string>
  keys: Map<string, Set<string>>
  gone: Set<string>
}

export function collectChanges(ymodels: Y.Map<unknown>, events: Y.YEvent<Y.AbstractType<unknown>>[]): MapChanges {
  const changes: MapChanges = { added: new Set(), removed: new Set(), keys: new Map(), gone: new Set() }
  for (const event of events) {
    const path = event.path
    if (path.length === 0) {
      for (const [id, change] of event.changes.keys) {
        if (change.action === 'delete') changes.removed.add(id)
        else {
          changes.removed.delete(id)
          changes.added.add(id)
        }
      }
      continue
    }
    const id = String(path[0])
    if (path.length === 1) {
      if (event.changes.keys.has('gone') && ymodels.get(id) instanceof Y.Map && (ymodels.get(id) as Y.Map<unknown>).get('gone') === true) changes.gone.add(id)
      continue
    }
    const keys = changes.keys.get(id) ?? new Set<string>()
    for (const key of event.changes.keys.keys()) keys.add(path[1] === 'buffers' ? firstStep(key) : key)
    changes.keys.set(id, keys)
  }
  for (const id of changes.added) changes.keys.delete(id)
  return changes
}

function firstStep(path: string): string {
  const parsed = parsePath(path)
  return parsed === null ? path : String(parsed[0])
}

/** These keys of a model's state, as an `update` message carries them (binary values by path). */
export function stateOf(ymodels: Y.Map<unknown>, id: string, keys: Iterable<string>): { state: Record<string, unknown>; bufferPaths: (string | number)[][]; buffers: DataView[] } {
  const ymodel = ymodels.get(id)
  const state: Record<string, unknown> = {}
  if (!(ymodel instanceof Y.Map)) return { state, bufferPaths: [], buffers: [] }
  const ystate = ymodel.get('state')
  const wanted = new Set(keys)
  if (ystate instanceof Y.Map) for (const key of wanted) if (ystate.has(key)) state[key] = toPlain(ystate.get(key))
  const ybuffers = ymodel.get('buffers')
  const { bufferPaths, buffers } = readBuffers(ybuffers instanceof Y.Map ? ybuffers : null, wanted)
  return { state, bufferPaths, buffers }
}

function toPlain(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.toJSON() : value
}
