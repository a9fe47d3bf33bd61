// A stock y-websocket navigator that keeps typing in a mob-mode room: nothing of pairbook's.
// Each keystroke goes into cell 1; the server refuses them, closes the connection with 4409
// (reload) and y-websocket reconnects by itself, as stock clients do.
// usage: node mob_navigator.mjs <serverUrl> <room> <token> <keystrokes>
// prints {"closes": [codes], "source": cell 1 as this client has it}
import { WebsocketProvider } from 'y-websocket'
import { YNotebook } from '@jupyter/ydoc'
import WebSocket from 'ws'

const [serverUrl, room, token, count] = process.argv.slice(2)
const deadline = setTimeout(() => { console.error('timed out'); process.exit(1) }, 20000)
const notebook = new YNotebook({})
const provider = new WebsocketProvider(serverUrl, room, notebook.ydoc, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true,
  maxBackoffTime: 250
})
const closes = []
provider.on('connection-close', (event) => closes.push(event ? event.code : null))
await new Promise((resolve) => {
  if (provider.synced) resolve()
  provider.on('sync', (isSynced) => { if (isSynced) resolve() })
})
for (let i = 0; i < Number(count); i++) {
  const ysource = notebook.cells[1].ysource
  ysource.insert(ysource.length, ` #stray${i}`)
  await new Promise((resolve) => setTimeout(resolve, 40))
}
// Typing on after the refusal: the server closes with 4409 (and again after each reconnect).
while (!closes.includes(4409)) await new Promise((resolve) => setTimeout(resolve, 20))
clearTimeout(deadline)
console.log(JSON.stringify({ closes, source: notebook.cells[1].getSource() }))
provider.destroy()
process.exit(0)
