// A stock Node peer that types into a notebook: yjs + y-websocket + @jupyter/ydoc only.
// usage: node typist.mjs <serverUrl> <room> <token> <label> <count> <delayMs>
//   appends "<label><i> " to the first cell's source <count> times, one every <delayMs>,
//   waits until the server has acknowledged everything (its sync answer to a fresh step 1
//   covers the typist's state), prints the first cell's source as this peer sees it, exits.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { YNotebook } from '@jupyter/ydoc'
import WebSocket from 'ws'

const [serverUrl, room, token, label, count, delayMs] = process.argv.slice(2)
const deadline = setTimeout(() => fail('timed out typing'), 30000)

function fail (message) {
  console.error(message)
  process.exit(1)
}

const notebook = new YNotebook({})
const provider = new WebsocketProvider(serverUrl, room, notebook.ydoc, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true
})
provider.on('connection-close', (event) => {
  if (event && event.code >= 4000) fail(`closed by the server: ${event.code} ${event.reason}`)
})
await new Promise((resolve) => {
  if (provider.synced) resolve()
  provider.on('sync', (isSynced) => { if (isSynced) resolve() })
})
const source = notebook.cells[0].ysource
for (let i = 0; i < Number(count); i++) {
  source.insert(source.length, `${label}${i} `)
  await new Promise((resolve) => setTimeout(resolve, Number(delayMs)))
}
// A second connection sees everything this one typed once the server holds it.
const witness = new Y.Doc()
const check = new WebsocketProvider(serverUrl, room, witness, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true
})
const mine = Y.encodeStateVector(notebook.ydoc)
await new Promise((resolve) => {
  const covered = () => {
    const theirs = Y.decodeStateVector(Y.encodeStateVector(witness))
    const ours = Y.decodeStateVector(mine)
    for (const [client, clock] of ours) if ((theirs.get(client) || 0) < clock) return
    resolve()
  }
  witness.on('update', covered)
  covered()
})
console.log(JSON.stringify({ source: source.toString() }))
clearTimeout(deadline)
check.destroy()
provider.destroy()
process.exit(0)
