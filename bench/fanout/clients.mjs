#!/usr/bin/env node
// Stock Node y-websocket clients for the fan-out bench. One measurement per invocation:
//
//   node clients.mjs fanout|join|rooms '<json config>'
//
// prints progress on stderr and one line `@@RESULT <json>` on stdout, then exits. Every wait
// is bounded, so a server that stalls yields a result saying so rather than a hang.
import fs from 'node:fs'
import { Worker } from 'node:worker_threads'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import * as Y from 'yjs'
import { YNotebook } from '@jupyter/ydoc'
import {
  clock, connect, firstSource, processTree, loopDelay, machineCpuSeconds, mergeCounts, percentile, sleep, treeCpuSeconds,
  treePssBytes, treeRssBytes, waitFor, whenSynced
} from './common.mjs'

const BASE = process.hrtime.bigint()
process.setMaxListeners(0) // every provider adds an exit listener
const now = clock(BASE)
const log = (...args) => console.error('[clients]', ...args)
const round = (x, digits = 3) => (x === null || x === undefined ? null : Number(x.toFixed(digits)))

function finish (result) {
  process.stdout.write('@@RESULT ' + JSON.stringify(result) + '\n', () => process.exit(0))
}

/** A Y.Map cell as @jupyter/ydoc lays it out (the Node server and pycrdt start empty). */
function createCell (doc) {
  doc.transact(() => {
    const ycell = new Y.Map()
    ycell.set('id', 'bench-cell')
    ycell.set('cell_type', 'code')
    ycell.set('source', new Y.Text())
    ycell.set('metadata', new Y.Map())
    ycell.set('outputs', new Y.Array())
    ycell.set('execution_count', null)
    doc.getArray('cells').push([ycell])
  })
}

function startWorkers (cfg, readers) {
  const workers = []
  const shares = []
  const count = Math.max(1, Math.min(cfg.workers, readers))
  for (let w = 0; w < count; w++) shares.push(Math.floor(readers / count) + (w < readers % count ? 1 : 0))
  for (const share of shares) {
    const worker = new Worker(new URL('./readers.mjs', import.meta.url), {
      workerData: { target: cfg.target, count: share, edits: cfg.edits, chunk: cfg.chunk ?? 1, base: BASE.toString() }
    })
    const state = { worker, share, status: { ready: 0, frames: 0, got: 0 }, result: null, exited: false, error: null }
    worker.on('message', (message) => {
      if (message.type === 'status') state.status = message
      else if (message.type === 'result') state.result = message
    })
    worker.on('error', (error) => { state.error = String(error?.stack ?? error) })
    worker.on('exit', () => { state.exited = true })
    workers.push(state)
  }
  return workers
}

const sum = (workers, key) => workers.reduce((total, w) => total + w.status[key], 0)

/** Ask every reader worker for its observations and merge them; the workers then exit. */
async function collectReaders (workers, result) {
  for (const w of workers) if (!w.exited) w.worker.postMessage({ type: 'finish' })
  await waitFor(() => workers.every((w) => w.result !== null || w.exited), 15000, 20)
  const closes = result.closes ?? {}
  const errors = result.errors ?? []
  for (const w of workers) {
    if (w.result === null) { errors.push('a reader worker sent no result'); continue }
    mergeCounts(closes, w.result.closes)
    errors.push(...w.result.errors)
  }
  result.closes = closes
  result.errors = errors.slice(0, 10)
  await waitFor(() => workers.every((w) => w.exited), 3000, 20)
  for (const w of workers) if (!w.exited) await w.worker.terminate()
  return workers.filter((w) => w.result !== null).map((w) => w.result)
}

/** Wait until no document or awareness frame reached any reader for `quietMs`. */
async function settle (workers, cfg) {
  let last = -1
  let quietSince = now()
  const start = now()
  await waitFor(() => {
    const frames = sum(workers, 'frames')
    if (frames !== last) { last = frames; quietSince = now() }
    return now() - quietSince >= cfg.quietMs
  }, cfg.settleTimeoutMs, 25)
  return round(now() - start, 1)
}

/** Type `edits` characters at `rate`, each at the end of `ysource`; returns when each went. */
async function type (ysource, cfg) {
  const sent = new Float64Array(cfg.edits)
  const lags = []
  const alphabet = 'abcdefghijklmnopqrstuvwxyz'
  const chunk = cfg.chunk ?? 1 // characters per edit (the stuck-peer section sends 8 KB updates)
  const interval = 1000 / cfg.rate
  const t0 = now()
  for (let i = 0; i < cfg.edits; i++) {
    const due = t0 + i * interval
    const wait = due - now()
    if (wait > 0) await sleep(Math.ceil(wait)) // setTimeout truncates fractions
    const t = now()
    lags.push(t - due)
    sent[i] = t
    if (chunk === 1) ysource.insert(ysource.length, alphabet[i % alphabet.length])
    else {
      // An 8 KB update, then a small one deleting it again: the document stays small, so
      // what is measured is the relay, not every server's work on a 16 MB cell (saving it).
      ysource.insert(0, alphabet[i % alphabet.length].repeat(chunk))
      ysource.delete(0, chunk)
    }
  }
  lags.sort((a, b) => a - b)
  const writerLag = { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), max: round(lags[lags.length - 1]) }
  return { sent, t0, lastSent: now(), writerLag }
}

/** CPU seconds so far of this process, the server's tree and the whole machine. */
function cpuNow (cfg) {
  const own = process.cpuUsage()
  return {
    client: (own.user + own.system) / 1e6,
    server: cfg.serverPid ? treeCpuSeconds(cfg.serverPid, cfg.clkTck) : null,
    machine: machineCpuSeconds(cfg.clkTck)
  }
}

async function fanout (cfg) {
  const readers = cfg.n - 1
  const result = { n: cfg.n, edits: cfg.edits, rate: cfg.rate, workers: 0, phase: 'writer-sync' }
  const wdoc = new Y.Doc()
  const writer = connect(cfg.target, wdoc)
  result.closes = writer.closes
  result.errors = writer.errors
  if (!(await whenSynced(writer.provider, cfg.connectTimeoutMs))) {
    writer.provider.destroy()
    return { ...result, error: `the writer did not sync in ${cfg.connectTimeoutMs} ms` }
  }
  result.extensions = writer.provider.ws?.extensions ?? ''
  if (wdoc.getArray('cells').length === 0) createCell(wdoc)
  const ysource = firstSource(wdoc)
  if (ysource === null) {
    writer.provider.destroy()
    return { ...result, error: "the first cell has no Y.Text 'source'" }
  }

  result.phase = 'readers-sync'
  const workers = startWorkers(cfg, readers)
  result.workers = workers.length
  const connectStart = now()
  const allReady = await waitFor(() => sum(workers, 'ready') === readers || workers.some((w) => w.error), cfg.connectTimeoutMs, 10)
  result.connectMs = round(now() - connectStart, 1)
  const crashed = workers.find((w) => w.error)
  if (crashed || !allReady) {
    result.error = crashed
      ? 'a reader worker crashed: ' + crashed.error
      : `only ${sum(workers, 'ready')}/${readers} readers synced with the cell in ${cfg.connectTimeoutMs} ms`
    await collectReaders(workers, result)
    writer.provider.destroy()
    await sleep(100)
    return result
  }

  result.phase = 'settle'
  result.settleMs = await settle(workers, cfg)

  result.phase = 'edits'
  for (const w of workers) w.worker.postMessage({ type: 'start', baseLength: ysource.length })
  await sleep(20) // the workers read `start` before the first edit is sent
  const mainLoop = monitorEventLoopDelay({ resolution: 1 })
  mainLoop.enable()
  const rss = cfg.sampleRss ? sampleRss(cfg.serverPid) : null
  const cpu0 = cpuNow(cfg)
  const { sent, t0, lastSent, writerLag } = await type(ysource, cfg)
  const expected = readers * cfg.edits
  result.phase = 'drain'
  log('many rooms: edits end')
  result.drained = await waitFor(() => sum(workers, 'got') >= expected, cfg.drainTimeoutMs, 10)
  const windowEnd = now()
  const cpu1 = cpuNow(cfg)
  mainLoop.disable()
  const windowS = (windowEnd - t0) / 1000
  const percent = (seconds) => round((100 * seconds) / windowS, 1)
  result.drainWaitMs = round(windowEnd - lastSent, 1)
  result.sendSeconds = round((lastSent - t0) / 1000)
  result.clientCpuPct = percent(cpu1.client - cpu0.client)
  result.serverCpuPct = cpu0.server === null ? null : percent(cpu1.server - cpu0.server)
  // what the rest of the machine (other people's tests...) burnt meanwhile: the noise gauge
  result.otherCpuPct = round(percent(cpu1.machine - cpu0.machine) - result.clientCpuPct - (result.serverCpuPct ?? 0), 1)
  result.writerLag = writerLag
  result.mainLoopDelay = loopDelay(mainLoop)

  if (rss !== null) Object.assign(result, rss.stop())

  result.phase = 'collect'
  const observed = await collectReaders(workers, result)
  const latencies = []
  let lastSeen = t0
  for (const { times } of observed) {
    for (const seenAt of times) {
      for (let k = 0; k < cfg.edits; k++) {
        const seen = seenAt[k]
        if (seen === null || Number.isNaN(seen)) continue
        latencies.push(seen - sent[k])
        if (seen > lastSeen) lastSeen = seen
      }
    }
  }
  latencies.sort((a, b) => a - b)
  result.delivered = latencies.length
  result.expected = expected
  result.p50 = round(percentile(latencies, 50))
  result.p99 = round(percentile(latencies, 99))
  result.max = round(latencies.length ? latencies[latencies.length - 1] : null)
  result.mean = round(latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null)
  result.deliveredPerSecond = round(latencies.length / Math.max(1e-3, (lastSeen - t0) / 1000), 0)
  // server CPU per delivered update: robust to noise where latency is not (at N>=50)
  if (cpu0.server !== null && latencies.length > 0) {
    result.serverCpuUsPerDelivery = round(((cpu1.server - cpu0.server) * 1e6) / latencies.length, 1)
  }
  const loops = observed.map((o) => o.loopDelay)
  result.readerLoopDelay = {
    p99: round(Math.max(0, ...loops.map((l) => l.p99))),
    max: round(Math.max(0, ...loops.map((l) => l.max)))
  }
  result.phase = 'done'
  writer.provider.destroy()
  await sleep(100) // let the close handshakes finish before the server is stopped
  return result
}

/** Sample a process tree's RSS every 50 ms until `stop`: its peak and its start. */
function sampleRss (pid) {
  const start = treeRssBytes(pid)
  let peak = start
  const timer = setInterval(() => { peak = Math.max(peak, treeRssBytes(pid)) }, 50)
  return {
    stop () {
      clearInterval(timer)
      const end = treeRssBytes(pid)
      return { rssStartMb: round(start / 2 ** 20, 1), rssPeakMb: round(Math.max(peak, end) / 2 ** 20, 1), rssEndMb: round(end / 2 ** 20, 1) }
    }
  }
}

/** Connect a fresh client, wait for `sync`, and time it; the doc is kept for checks. */
async function timedJoin (target, timeoutMs) {
  const t0 = now()
  const doc = new Y.Doc()
  const client = connect(target, doc)
  const synced = await whenSynced(client.provider, timeoutMs)
  const ms = now() - t0
  const extensions = client.provider.ws?.extensions ?? ''
  return { ms, synced, doc, client, extensions }
}

/** Write a notebook into the room through @jupyter/ydoc, as a JupyterLab client would. */
async function seedNotebook (target, notebookPath, timeoutMs) {
  const ynotebook = YNotebook.create()
  ynotebook.fromJSON(JSON.parse(fs.readFileSync(notebookPath, 'utf8')))
  const seeder = connect(target, ynotebook.ydoc)
  const synced = await whenSynced(seeder.provider, timeoutMs)
  // the whole notebook went out as the step-2 reply; wait until the socket has flushed it
  await waitFor(() => (seeder.provider.ws?.bufferedAmount ?? 0) === 0, timeoutMs, 20)
  return { ynotebook, seeder, synced }
}

async function join (cfg) {
  const result = { joins: [], expectCells: cfg.expectCells }
  let seeded = null
  if (cfg.seed) {
    seeded = await seedNotebook(cfg.target, cfg.seed, cfg.timeoutMs)
    if (!seeded.synced) return { ...result, error: 'seeding client did not sync', closes: seeded.seeder.closes }
  }
  // The first join loads the room (pairbook reads the .ipynb) or checks the seed arrived; it
  // is reported apart as `firstMs` and the timed joins start once the room is warm.
  const deadline = Date.now() + cfg.timeoutMs
  let first = null
  let firstCells = 0
  while (Date.now() < deadline) {
    const attempt = await timedJoin(cfg.target, cfg.timeoutMs)
    firstCells = attempt.doc.getArray('cells').length
    attempt.client.provider.destroy()
    if (first === null) first = attempt
    if (attempt.synced && firstCells === cfg.expectCells) break
    await sleep(200)
  }
  if (seeded) { seeded.seeder.provider.destroy(); seeded.ynotebook.dispose() }
  result.firstMs = round(first?.ms, 1)
  if (firstCells !== cfg.expectCells) {
    return { ...result, error: `room holds ${firstCells} cells, expected ${cfg.expectCells}`, closes: first?.client.closes }
  }
  const closes = {}
  for (let j = 0; j < cfg.joins; j++) {
    await sleep(cfg.pauseMs)
    const attempt = await timedJoin(cfg.target, cfg.timeoutMs)
    const cells = attempt.doc.getArray('cells').length
    attempt.client.provider.destroy()
    mergeCounts(closes, attempt.client.closes)
    if (!attempt.synced) return { ...result, error: `join ${j + 1} did not sync in ${cfg.timeoutMs} ms`, closes }
    if (cells !== cfg.expectCells) return { ...result, error: `join ${j + 1} saw ${cells} cells, expected ${cfg.expectCells}`, closes }
    result.joins.push(round(attempt.ms, 1))
    if (j === 0) {
      result.updateBytes = Y.encodeStateAsUpdate(attempt.doc).length
      result.extensions = attempt.extensions
    }
  }
  const sorted = [...result.joins].sort((a, b) => a - b)
  result.p50 = percentile(sorted, 50)
  result.min = sorted[0]
  result.max = sorted[sorted.length - 1]
  result.closes = closes
  return result
}

/** Open one client on a room (seeding it first when the server starts empty). */
async function openRoom (cfg, target) {
  if (cfg.seed) {
    const s = await seedNotebook(target, cfg.seed, cfg.timeoutMs)
    return { ...s.seeder, doc: s.ynotebook.ydoc, ynotebook: s.ynotebook, synced: s.synced }
  }
  const doc = new Y.Doc()
  const client = connect(target, doc)
  return { ...client, doc, synced: await whenSynced(client.provider, cfg.timeoutMs) }
}

async function rooms (cfg) {
  // RSS with no room, after the first room (it pays for lazy imports and caches), and after
  // all of them: the per-room figure is taken over the rooms after the first.
  await sleep(cfg.settleMs)
  const result = { rooms: cfg.targets.length, rss0: treeRssBytes(cfg.serverPid), pss0: treePssBytes(cfg.serverPid) }
  const opened = [await openRoom(cfg, cfg.targets[0])]
  await sleep(cfg.settleMs)
  result.rss1 = treeRssBytes(cfg.serverPid)
  opened.push(...await Promise.all(cfg.targets.slice(1).map((target) => openRoom(cfg, target))))
  await sleep(cfg.settleMs)
  result.rssAll = treeRssBytes(cfg.serverPid)
  result.pssAll = treePssBytes(cfg.serverPid)
  result.processes = processTree(cfg.serverPid).length
  const synced = opened.filter((c) => c.synced && c.doc.getArray('cells').length === cfg.expectCells).length
  result.synced = synced
  result.closes = opened.reduce((all, c) => mergeCounts(all, c.closes), {})
  if (synced !== cfg.targets.length) result.error = `only ${synced}/${cfg.targets.length} rooms synced with ${cfg.expectCells} cells`
  const mb = (bytes) => round(bytes / 2 ** 20, 3)
  result.firstRoomMb = mb(result.rss1 - result.rss0)
  result.mbPerRoom = mb((result.rssAll - result.rss1) / Math.max(1, cfg.targets.length - 1))
  result.mbPerRoomAll = mb((result.rssAll - result.rss0) / cfg.targets.length)
  for (const c of opened) { c.provider.destroy(); c.ynotebook?.dispose() }
  return result
}

/**
 * Many small rooms: `rooms` rooms of `perRoom` clients each; every client types one character
 * a second into its room's first cell, the room's typists a fraction of a second apart, so a
 * room's edits arrive in the order they were typed. Latency: from a typist's insert to each
 * other client of its room seeing it. Also the server's RSS before and with all rooms open.
 */
async function manyRooms (cfg) {
  const result = { rooms: cfg.targets.length, perRoom: cfg.perRoom, rate: cfg.rate, phase: 'connect' }
  await sleep(cfg.settleMs)
  result.rss0 = treeRssBytes(cfg.serverPid)
  const rooms = []
  const closes = {}
  const errors = []
  const connectStart = now()
  // The first client of each room creates the cell where the server starts empty.
  const open = async (target) => {
    const room = { clients: [], sent: [], authors: [], base: null }
    for (let i = 0; i < cfg.perRoom; i++) {
      const doc = new Y.Doc()
      const client = connect(target, doc)
      const synced = await whenSynced(client.provider, cfg.timeoutMs)
      if (!synced) throw new Error(`a client of ${target.room} did not sync`)
      if (i === 0 && doc.getArray('cells').length === 0) createCell(doc)
      room.clients.push({ doc, client, index: i, seen: 0, ysource: null })
    }
    return room
  }
  for (let r = 0; r < cfg.targets.length; r += cfg.connectBatch) {
    rooms.push(...await Promise.all(cfg.targets.slice(r, r + cfg.connectBatch).map(open)))
  }
  result.connectMs = round(now() - connectStart, 1)
  // every client holds its room's cell before timing starts
  const ready = await waitFor(() => rooms.every((room) => room.clients.every((c) => {
    c.ysource = c.ysource ?? firstSource(c.doc)
    return c.ysource !== null
  })), cfg.timeoutMs, 50)
  if (!ready) return { ...result, error: 'not every client got its room\'s cell' }
  await sleep(cfg.settleMs)
  result.rssAll = treeRssBytes(cfg.serverPid)
  const latencies = []
  // deliveries slower than slowMs: [sent at, latency] in ms (sent at on `now()`'s clock)
  const slowMs = cfg.slowMs ?? 5
  const slow = []
  for (const room of rooms) {
    room.base = room.clients[0].ysource.length
    for (const c of room.clients) {
      c.seen = c.ysource.length - room.base
      c.ysource.observe(() => {
        const t = now()
        const seen = c.ysource.length - room.base
        for (let k = c.seen; k < seen; k++) {
          if (room.authors[k] !== c.index && room.sent[k] !== undefined) {
            const latency = t - room.sent[k]
            latencies.push(latency)
            if (latency >= slowMs && slow.length < 50000) slow.push([round(room.sent[k], 2), round(latency, 2)])
          }
        }
        if (seen > c.seen) c.seen = seen
      })
    }
  }
  result.phase = 'edits'
  log('many rooms: edits start')
  const mainLoop = monitorEventLoopDelay({ resolution: 1 })
  mainLoop.enable()
  const cpu0 = cpuNow(cfg)
  const t0 = now()
  const interval = 1000 / cfg.rate
  const slots = []
  // typist i of room r types at t0 + k*interval + (i / perRoom + r / rooms / perRoom) * interval
  rooms.forEach((room, r) => room.clients.forEach((c, i) => {
    slots.push({ room, c, offset: ((i + r / rooms.length) / cfg.perRoom) * interval })
  }))
  slots.sort((a, b) => a.offset - b.offset)
  for (let k = 0; k < cfg.edits; k++) {
    for (const { room, c, offset } of slots) {
      const due = t0 + k * interval + offset
      const wait = due - now()
      if (wait > 1) await sleep(Math.floor(wait))
      room.authors.push(c.index)
      room.sent.push(now())
      c.ysource.insert(c.ysource.length, 'x')
    }
  }
  const expected = rooms.length * cfg.perRoom * cfg.edits * (cfg.perRoom - 1)
  result.phase = 'drain'
  result.drained = await waitFor(() => latencies.length >= expected, cfg.drainTimeoutMs, 20)
  const cpu1 = cpuNow(cfg)
  mainLoop.disable()
  const windowS = (now() - t0) / 1000
  const percent = (seconds) => round((100 * seconds) / windowS, 1)
  result.clientCpuPct = percent(cpu1.client - cpu0.client)
  result.serverCpuPct = percent(cpu1.server - cpu0.server)
  result.otherCpuPct = round(percent(cpu1.machine - cpu0.machine) - result.clientCpuPct - result.serverCpuPct, 1)
  result.readerLoopDelay = loopDelay(mainLoop)
  latencies.sort((a, b) => a - b)
  result.delivered = latencies.length
  result.expected = expected
  result.p50 = round(percentile(latencies, 50))
  result.p99 = round(percentile(latencies, 99))
  result.max = round(latencies.length ? latencies[latencies.length - 1] : null)
  if (latencies.length > 0) result.serverCpuUsPerDelivery = round(((cpu1.server - cpu0.server) * 1e6) / latencies.length, 1)
  const mb = (bytes) => round(bytes / 2 ** 20, 3)
  result.mbPerRoom = mb((result.rssAll - result.rss0) / rooms.length)
  for (const room of rooms) {
    for (const c of room.clients) {
      mergeCounts(closes, c.client.closes)
      errors.push(...c.client.errors)
      c.client.provider.destroy()
    }
  }
  result.closes = closes
  result.errors = errors.slice(0, 10)
  // CLOCK_MONOTONIC in ms of the edits' start: `slow`'s times are relative to it
  result.t0Monotonic = round(Number(BASE) / 1e6 + t0, 3)
  result.slow = slow.map(([at, latency]) => [round(at - t0, 2), latency])
  result.phase = 'done'
  await sleep(200)
  return result
}

const commands = { fanout, join, rooms, manyRooms }
const [command, json] = process.argv.slice(2)
if (!(command in commands)) {
  console.error('usage: node clients.mjs fanout|join|rooms|manyRooms <json config>')
  process.exit(2)
}
// a hard stop, whatever happens: the run must end by itself
const hardStop = setTimeout(() => {
  log('hard timeout reached')
  finish({ error: 'clients.mjs hard timeout' })
}, JSON.parse(json).hardTimeoutMs ?? 300000)
hardStop.unref()
commands[command](JSON.parse(json)).then(finish, (error) => finish({ error: String(error?.stack ?? error) }))
