#!/usr/bin/env node
// Stock Node y-websocket clients for the broker hop bench: one writer on one server, readers
// on another (or the same), one character per edit at the end of the first cell's source.
//   node hop.mjs '<json {writer: target, readers: [target...], edits, rate}>'
// A target is {serverUrl, room, params}. Prints `@@RESULT {latencies: [...ms], missing}`.
import * as Y from 'yjs'
import { clock, connect, firstSource, sleep, waitFor, whenSynced } from '../fanout/common.mjs'

const cfg = JSON.parse(process.argv[2])
const now = clock(process.hrtime.bigint())
const sentAt = []
const latencies = []

const writerDoc = new Y.Doc()
const writer = connect(cfg.writer, writerDoc)
const readers = cfg.readers.map((target) => {
  const doc = new Y.Doc()
  return { doc, ...connect(target, doc) }
})
for (const peer of [writer, ...readers]) {
  if (!(await whenSynced(peer.provider, 20000))) throw new Error('a client did not sync')
}
const docs = [writerDoc, ...readers.map((r) => r.doc)]
if (!(await waitFor(() => docs.every((d) => firstSource(d) !== null), 20000))) {
  throw new Error('the cell did not arrive')
}
const base = firstSource(writerDoc).length
await waitFor(() => readers.every((r) => firstSource(r.doc).length === base), 10000)
await sleep(500) // quiet room
let got = 0
for (const reader of readers) {
  const text = firstSource(reader.doc)
  let seen = base
  text.observe(() => {
    const t = now()
    while (seen < text.length && seen - base < sentAt.length) {
      latencies.push(t - sentAt[seen - base])
      seen++
      got++
    }
  })
}
const source = firstSource(writerDoc)
for (let i = 0; i < cfg.edits; i++) {
  sentAt.push(now())
  source.insert(source.length, 'x')
  await sleep(1000 / cfg.rate)
}
await waitFor(() => got >= cfg.edits * readers.length, 10000)
process.stdout.write('@@RESULT ' + JSON.stringify({
  latencies, missing: cfg.edits * readers.length - got
}) + '\n', () => process.exit(0))
