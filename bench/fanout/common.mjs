// Helpers shared by the coordinator (clients.mjs) and its reader workers (readers.mjs).
import fs from 'node:fs'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

/** Milliseconds since `base` on CLOCK_MONOTONIC: the same clock in every thread and process. */
export const clock = (base) => () => Number(process.hrtime.bigint() - base) / 1e6

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll `predicate` every `everyMs` until it holds or `timeoutMs` passes; resolves to whether it held. */
export async function waitFor (predicate, timeoutMs, everyMs = 20) {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() >= deadline) return false
    await sleep(everyMs)
  }
  return true
}

/** `ws` offers permessage-deflate by default, as browsers do; this one does not. */
class WebSocketWithoutDeflate extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { perMessageDeflate: false })
  }
}

/**
 * A stock y-websocket provider over the `ws` package. BroadcastChannel is off: Node 20 has a
 * real one shared by worker threads, which would let clients sync without the server.
 * `target` is {serverUrl, room, params, deflate}.
 */
export function connect (target, doc) {
  const provider = new WebsocketProvider(target.serverUrl, target.room, doc, {
    WebSocketPolyfill: target.deflate === false ? WebSocketWithoutDeflate : WebSocket,
    params: target.params ?? {},
    disableBc: true
  })
  const closes = {}
  const errors = []
  provider.on('connection-close', (event) => {
    // event is null when we closed the socket ourselves (destroy)
    if (event !== null && event !== undefined) {
      const key = `${event.code}${event.reason ? ' ' + event.reason : ''}`
      closes[key] = (closes[key] ?? 0) + 1
    }
  })
  provider.on('connection-error', (event) => {
    if (errors.length < 5) errors.push(String(event?.message ?? event?.error ?? 'error'))
  })
  return { provider, closes, errors }
}

/** The first cell's source text, once the cell exists. */
export function firstSource (doc) {
  const ycells = doc.getArray('cells')
  if (ycells.length === 0) return null
  const ycell = ycells.get(0)
  if (!(ycell instanceof Y.Map)) return null
  const ysource = ycell.get('source')
  return ysource instanceof Y.Text ? ysource : null
}

/** Resolves true on the provider's first `sync` true, false after `timeoutMs`. */
export function whenSynced (provider, timeoutMs) {
  if (provider.synced) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => { provider.off('sync', onSync); resolve(false) }, timeoutMs)
    const onSync = (state) => {
      if (state) { clearTimeout(timer); provider.off('sync', onSync); resolve(true) }
    }
    provider.on('sync', onSync)
  })
}

/** Merge {key: count} maps. */
export function mergeCounts (into, from) {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count
  return into
}

function childrenOf () {
  const children = new Map()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(name))
    } catch { /* the process just went away */ }
  }
  return children
}

/** The pid and all its descendants. */
export function processTree (pid) {
  const children = childrenOf()
  const tree = []
  const todo = [pid]
  while (todo.length > 0) {
    const next = todo.pop()
    tree.push(next)
    todo.push(...(children.get(next) ?? []))
  }
  return tree
}

/** CPU seconds (user + system) used so far by a process tree. */
export function treeCpuSeconds (pid, clkTck) {
  let ticks = 0
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    } catch { /* gone */ }
  }
  return ticks / clkTck
}

/** CPU seconds (all cores, busy = not idle or iowait) used by the whole machine so far. */
export function machineCpuSeconds (clkTck) {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0) // user..steal; guest is inside user
  return (total - fields[3] - fields[4]) / clkTck
}

/** Resident set size of a process tree, in bytes. */
export function treeRssBytes (pid) {
  let kb = 0
  for (const p of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))
      if (match) kb += Number(match[1])
    } catch { /* gone */ }
  }
  return kb * 1024
}

/** Proportional set size of a process tree (shared pages split among their users), in bytes. */
export function treePssBytes (pid) {
  let kb = 0
  for (const p of processTree(pid)) {
    try {
      const match = /^Pss:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))
      if (match) kb += Number(match[1])
    } catch { /* gone */ }
  }
  return kb * 1024
}

/** Nearest-rank percentile of an ascending array. */
export function percentile (sorted, p) {
  if (sorted.length === 0) return null
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** p50 / p99 / max of an event-loop-delay histogram sampled every 1 ms, in ms beyond that tick. */
export function loopDelay (histogram) {
  const late = (ns) => Math.max(0, Number((ns / 1e6 - 1).toFixed(3)))
  return { p50: late(histogram.percentile(50)), p99: late(histogram.percentile(99)), max: late(histogram.max) }
}
