// A stock Node peer of a pairbook room: yjs + y-websocket + @jupyter/ydoc, nothing of ours.
// usage: node notebook_peer.mjs <serverUrl> <room> <token> <command> [arg]
//   read                 print the notebook as @jupyter/ydoc sees it (JSON), then exit
//   insert <source>      append a code cell with <source>; exit once a second stock peer sees it
//   wait-for <source>    wait until a cell with <source> exists; print the notebook, then exit
//   listen <seconds>     once synced, sit alone in the room that long; print how many messages
//                        the server sent meanwhile and whether the provider stayed connected
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { YNotebook } from '@jupyter/ydoc'
import WebSocket from 'ws'

const [serverUrl, room, token, command, arg] = process.argv.slice(2)
const deadline = setTimeout(() => fail(`timed out running ${command}`), 15000)

function fail (message) {
  console.error(message)
  process.exit(1)
}

function connect () {
  const notebook = new YNotebook({})
  const provider = new WebsocketProvider(serverUrl, room, notebook.ydoc, {
    WebSocketPolyfill: WebSocket,
    params: { token },
    disableBc: true
  })
  provider.on('connection-close', (event) => {
    if (event && event.code >= 4000) fail(`closed by the server: ${event.code} ${event.reason}`)
  })
  const synced = new Promise((resolve) => {
    if (provider.synced) resolve()
    provider.on('sync', (isSynced) => { if (isSynced) resolve() })
  })
  return { notebook, provider, synced }
}

function describe (notebook) {
  return {
    nbformat: notebook.nbformat,
    cells: notebook.cells.map((cell) => ({
      id: cell.id,
      cell_type: cell.cell_type,
      source: cell.getSource(),
      outputs: cell.cell_type === 'code' ? cell.getOutputs() : undefined,
      execution_count: cell.cell_type === 'code' ? cell.execution_count : undefined
    }))
  }
}

function hasSource (notebook, source) {
  return notebook.cells.some((cell) => cell.getSource() === source)
}

const peer = connect()
await peer.synced
if (command === 'read') {
  console.log(JSON.stringify(describe(peer.notebook)))
} else if (command === 'insert') {
  peer.notebook.insertCell(peer.notebook.cells.length, { cell_type: 'code', source: arg, metadata: {} })
  const witness = connect()
  await witness.synced
  await new Promise((resolve) => {
    const check = () => { if (hasSource(witness.notebook, arg)) resolve() }
    witness.notebook.changed.connect(check)
    check()
  })
  console.log(JSON.stringify(describe(witness.notebook)))
  witness.provider.destroy()
} else if (command === 'wait-for') {
  await new Promise((resolve) => {
    const check = () => { if (hasSource(peer.notebook, arg)) resolve() }
    peer.notebook.changed.connect(check)
    check()
  })
  console.log(JSON.stringify(describe(peer.notebook)))
} else if (command === 'listen') {
  // y-websocket closes a socket it heard nothing on for 30 s (its messageReconnectTimeout,
  // watching wsLastMessageReceived): count what the room says to a peer that is alone in it.
  let heard = 0
  peer.provider.ws.addEventListener('message', () => { heard += 1 })
  await new Promise((resolve) => setTimeout(resolve, Number(arg) * 1000))
  console.log(JSON.stringify({ heard, connected: peer.provider.wsconnected }))
} else {
  fail(`unknown command ${command}`)
}
clearTimeout(deadline)
peer.provider.destroy()
process.exit(0)
