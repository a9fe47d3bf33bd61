// serverprofile.py's clients: `rooms` rooms (many-<start>.ipynb onwards) x `perRoom` stock
// y-websocket clients, connected 25 rooms at a time; prints READY once every client is synced
// and holds its room's cell, then holds the connections open until stdin closes.
import * as Y from 'yjs'
import { connect, whenSynced, firstSource, waitFor } from './common.mjs'

const cfg = JSON.parse(process.argv[2])
const start = cfg.start ?? 0
const clients = []
const name = (i) => `many-${String(start + i).padStart(3, '0')}.ipynb`
for (let r = 0; r < cfg.rooms; r += 25) {
  await Promise.all(Array.from({ length: Math.min(25, cfg.rooms - r) }, async (_, k) => {
    const target = { serverUrl: cfg.serverUrl, room: name(r + k), params: cfg.params, deflate: false }
    for (let i = 0; i < cfg.perRoom; i++) {
      const doc = new Y.Doc()
      const client = connect(target, doc)
      if (!await whenSynced(client.provider, 180000)) throw new Error(`a client of ${target.room} did not sync`)
      clients.push({ doc, client })
    }
  }))
}
await waitFor(() => clients.every((c) => firstSource(c.doc) !== null), 180000)
console.log('READY', clients.length)
process.stdin.on('end', () => {
  for (const c of clients) c.client.provider.destroy()
  setTimeout(() => process.exit(0), 300)
})
process.stdin.resume()
