// A worker thread holding a share of the readers: it records, per reader, when each typed
// character was observed, and reports to the coordinator (clients.mjs).
import { parentPort, workerData } from 'node:worker_threads'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import * as Y from 'yjs'
import { clock, connect, firstSource, loopDelay, mergeCounts } from './common.mjs'

const { target, count, edits, chunk, base } = workerData
const now = clock(BigInt(base))
process.setMaxListeners(0) // every provider adds an exit listener
const readers = []
let baseLength = null // text length when timing started; edit k is char baseLength + k
let frames = 0 // document and awareness updates seen, to tell when the room is quiet
const histogram = monitorEventLoopDelay({ resolution: 1 })

function observe (reader, event) {
  if (baseLength === null) return
  const t = now()
  let seen
  if (chunk === 1) seen = Math.min(edits, reader.ysource.length - baseLength)
  else {
    // chunks are inserted and deleted again: count the chunk-sized inserts seen
    if (event === undefined) return
    let inserted = 0
    for (const op of event.delta) if (typeof op.insert === 'string' && op.insert.length === chunk) inserted++
    reader.chunks += inserted
    seen = Math.min(edits, reader.chunks)
  }
  for (let k = reader.got; k < seen; k++) reader.times[k] = t
  if (seen > reader.got) reader.got = seen
}

function attach (reader) {
  if (reader.ysource !== null) return
  const ysource = firstSource(reader.doc)
  if (ysource === null) return
  reader.ysource = ysource
  ysource.observe((event) => observe(reader, event))
}

for (let i = 0; i < count; i++) {
  const doc = new Y.Doc()
  const { provider, closes, errors } = connect(target, doc)
  const reader = { doc, provider, closes, errors, ysource: null, synced: false, got: 0, chunks: 0, times: new Float64Array(edits).fill(NaN) }
  doc.getArray('cells').observe(() => attach(reader))
  doc.on('update', () => { frames++ })
  provider.awareness.on('update', () => { frames++ })
  provider.on('sync', (state) => {
    if (state) { reader.synced = true; attach(reader) }
  })
  readers.push(reader)
}

const status = () => ({
  type: 'status',
  ready: readers.filter((r) => r.synced && r.ysource !== null).length,
  frames,
  got: readers.reduce((sum, r) => sum + r.got, 0)
})
const ticker = setInterval(() => parentPort.postMessage(status()), 20)

parentPort.on('message', (message) => {
  if (message.type === 'start') {
    baseLength = message.baseLength
    for (const reader of readers) {
      if (reader.ysource !== null) observe(reader)
    }
    histogram.enable()
  } else if (message.type === 'finish') {
    histogram.disable()
    clearInterval(ticker)
    const closes = {}
    const errors = []
    for (const reader of readers) {
      mergeCounts(closes, reader.closes)
      errors.push(...reader.errors)
    }
    parentPort.postMessage({
      type: 'result',
      times: readers.map((r) => Array.from(r.times)),
      closes,
      errors: errors.slice(0, 10),
      loopDelay: loopDelay(histogram)
    })
    for (const reader of readers) reader.provider.destroy()
    setTimeout(() => process.exit(0), 50)
  }
})
