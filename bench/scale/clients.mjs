#!/usr/bin/env node
// Stock Node y-websocket clients for bench/scale: R rooms x C clients, spread over the given
// pairbook processes (client c of room r connects to process (r + c) % P, so with two
// processes every room has peers on both). Each writer inserts a tagged token at the end of
// its room's first cell every 1/rate seconds; every other client of the room records when
// it sees each token. One run per invocation:
//
//   node clients.mjs '<json config>'      config: {servers, rooms, clients, writers, rate,
//                                                   seconds, token}
//
// prints progress on stderr and one line `@@RESULT <json>` on stdout. Every wait is bounded.
import * as Y from 'yjs'
import { clock, connect, firstSource, percentile, sleep, waitFor, whenSynced } from '../fanout/common.mjs'

const cfg = JSON.parse(process.argv[2])
const now = clock(process.hrtime.bigint())
const log = (...args) => console.error('[scale]', ...args)
process.setMaxListeners(0)

const TOKEN = /~(\d+)\.(\d+)\.(\d+)~/g // ~room.writer.seq~
const sent = new Map() // token -> {at, process}
const lat = { same: [], cross: [] }
let deliveries = 0

function room (r) { return `scale-${r}.ipynb` }

const peers = []
for (let r = 0; r < cfg.rooms; r++) {
  for (let c = 0; c < cfg.clients; c++) {
    const proc = (r + c) % cfg.servers.length
    const doc = new Y.Doc()
    const target = { serverUrl: cfg.servers[proc], room: room(r), params: { token: cfg.token } }
    const peer = { r, c, proc, doc, conn: connect(target, doc), observed: false }
    peers.push(peer)
  }
  if (r % 50 === 49) await sleep(200) // do not open every socket in one burst
}
const synced = await Promise.all(peers.map((p) => whenSynced(p.conn.provider, 120000)))
log(`${synced.filter(Boolean).length}/${peers.length} synced`)
await waitFor(() => peers.every((p) => firstSource(p.doc) !== null), 60000, 50)

for (const peer of peers) {
  const text = firstSource(peer.doc)
  if (text === null) continue
  text.observe((event) => {
    const at = now()
    for (const op of event.delta) {
      if (typeof op.insert !== 'string') continue
      for (const m of op.insert.matchAll(TOKEN)) {
        const origin = sent.get(m[0])
        if (origin === undefined || Number(m[2]) === peer.c) continue
        deliveries++
        ;(origin.proc === peer.proc ? lat.same : lat.cross).push(at - origin.at)
      }
    }
  })
}
await sleep(1000)
deliveries = 0
const writers = peers.filter((p) => p.c < cfg.writers)
process.stdout.write('@@WINDOW start\n') // run.py samples every part's CPU time here and at the end
const start = now()
let edits = 0
const period = 1000 / cfg.rate
const seq = new Map()
// Writers are staggered over the period so edits arrive evenly, not in one burst a second.
const ticks = writers.map((w, i) => (async () => {
  await sleep((period * i) / writers.length)
  while (now() - start < cfg.seconds * 1000) {
    const n = (seq.get(w) ?? 0) + 1
    seq.set(w, n)
    const token = `~${w.r}.${w.c}.${n}~`
    const text = firstSource(w.doc)
    sent.set(token, { at: now(), proc: w.proc })
    text.insert(text.length, token)
    edits++
    await sleep(period)
  }
})())
await Promise.all(ticks)
const elapsed = (now() - start) / 1000
const expected = edits * (cfg.clients - 1)
await waitFor(() => deliveries >= expected, 10000, 50)
process.stdout.write('@@WINDOW end\n')
const all = lat.same.concat(lat.cross)
const stats = (xs) => { const s = xs.slice().sort((a, b) => a - b); return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99) } }
const closes = {}
for (const p of peers) {
  for (const [k, v] of Object.entries(p.conn.closes)) {
    const key = k.replace(/room '[^']*'/, "room '…'").slice(0, 60) // one line a kind of close
    closes[key] = (closes[key] ?? 0) + v
  }
}
process.stdout.write('@@RESULT ' + JSON.stringify({
  peers: peers.length, edits, expected, deliveries, seconds: elapsed,
  deliveries_per_s: deliveries / elapsed, all: stats(all), same: stats(lat.same), cross: stats(lat.cross), closes
}) + '\n', () => {
  for (const p of peers) p.conn.provider.destroy()
  process.exit(0)
})
