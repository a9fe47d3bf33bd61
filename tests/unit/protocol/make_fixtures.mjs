// Byte strings made by the stock npm encoders, with the facts pairbook's decoders must find.
//
// Run by tests/unit/protocol/conftest.py; prints one JSON document on stdout.
// Bytes are hex strings. Values JSON cannot carry are tagged: {"$bytes": hex},
// {"$bigint": "123"}, {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}.

import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import * as encoding from 'lib0/encoding'
import { messageSync, messageAwareness, messageAuth, messageQueryAwareness } from 'y-websocket'

const MESSAGE_COMMAND = 100

const hex = (bytes) => Buffer.from(bytes).toString('hex')
const fromHex = (text) => new Uint8Array(Buffer.from(text, 'hex'))
const frame = (write) => {
  const encoder = encoding.createEncoder()
  write(encoder)
  return hex(encoding.toUint8Array(encoder))
}
const mapToObject = (map) => Object.fromEntries([...map.entries()].map(([k, v]) => [String(k), v]))

const newDoc = (clientID, opts = {}) => {
  const doc = new Y.Doc(opts)
  doc.clientID = clientID
  return doc
}

const idOrNull = (id) => (id ? [id.client, id.clock] : null)

// What yjs's own reader (Y.decodeUpdate) finds in an update.
const describeUpdate = (update) => {
  const { structs, ds } = Y.decodeUpdate(update)
  return {
    structs: structs.map((s) => {
      const base = { client: s.id.client, clock: s.id.clock, length: s.length }
      if (s instanceof Y.GC) {
        return { ...base, kind: 'gc', origin: null, right_origin: null, parent_root: null, parent_id: null, parent_sub: null, content_ref: 0 }
      }
      if (s instanceof Y.Skip) {
        return { ...base, kind: 'skip', origin: null, right_origin: null, parent_root: null, parent_id: null, parent_sub: null, content_ref: 10 }
      }
      return {
        ...base,
        kind: 'item',
        origin: idOrNull(s.origin),
        right_origin: idOrNull(s.rightOrigin),
        parent_root: typeof s.parent === 'string' ? s.parent : null,
        parent_id: s.parent instanceof Y.ID ? [s.parent.client, s.parent.clock] : null,
        parent_sub: s.parentSub,
        content_ref: s.content.getRef()
      }
    }),
    delete_set: Object.fromEntries(
      [...ds.clients.entries()].map(([client, items]) => [String(client), items.map((d) => [d.clock, d.len])])
    )
  }
}

const updates = []
const addUpdate = (name, update, extra = {}) => {
  // yjs must accept it, or the fixture itself is wrong.
  Y.applyUpdate(new Y.Doc(), update)
  updates.push({ name, update: hex(update), ...describeUpdate(update), ...extra })
}
const addDoc = (name, doc) => {
  addUpdate(name, Y.encodeStateAsUpdate(doc), {
    state_vector: mapToObject(Y.decodeStateVector(Y.encodeStateVector(doc))),
    root_names: [...doc.share.keys()].sort()
  })
}

// --- documents ---------------------------------------------------------------

addDoc('empty document', newDoc(1))

{
  const doc = newDoc(11)
  const ytext = doc.getText('source')
  for (const ch of 'héllo 🐍 wörld') ytext.insert(ytext.length, ch) // typed one key at a time
  ytext.insert(0, '👩‍👩‍👧 family ')
  ytext.delete(2, 3)
  addDoc('text typed with emoji and a deletion', doc)
}

{
  const doc = newDoc(2 ** 32 - 1)
  const ymeta = doc.getMap('meta')
  ymeta.set('a', 1)
  ymeta.set('a', 'two')
  ymeta.set('nested', { list: [1, 2.5, 'x', null, true, { deep: [] }], big: 2 ** 40, tiny: 1e-7 })
  ymeta.set('float', 0.1)
  ymeta.set('bin', new Uint8Array([1, 2, 3]))
  ymeta.set('bigint', 2n ** 62n)
  ymeta.delete('float')
  addDoc('map sets, overwrites, binary and bigint from the largest uint32 client', doc)
}

let notebookUpdates
{
  // A Jupyter notebook as @jupyter/ydoc lays it out: cells is an array of cell maps.
  const alice = newDoc(101)
  const bob = newDoc(202)
  const makeCell = (id, source) => {
    const ycell = new Y.Map()
    ycell.set('id', id)
    ycell.set('cell_type', 'code')
    ycell.set('source', new Y.Text(source))
    ycell.set('metadata', new Y.Map())
    ycell.set('outputs', new Y.Array())
    ycell.set('execution_count', null)
    return ycell
  }
  alice.transact(() => {
    alice.getMap('meta').set('nbformat', 4)
    alice.getArray('cells').push([makeCell('c1', 'import numpy as np\n'), makeCell('c2', 'x = 1')])
  })
  Y.applyUpdate(bob, Y.encodeStateAsUpdate(alice))
  const bobUpdates = []
  bob.on('update', (update) => bobUpdates.push(update))
  const ycells = bob.getArray('cells')
  const ysource = ycells.get(1).get('source')
  ysource.insert(5, '4')
  ysource.insert(6, '2 # 🚀')
  ycells.get(1).get('outputs').push([{ output_type: 'stream', name: 'stdout', text: 'hi\n' }])
  bob.transact(() => ycells.delete(0, 1)) // deleting a cell garbage-collects its content
  notebookUpdates = bobUpdates
  for (const [i, update] of bobUpdates.entries()) addUpdate(`notebook edit ${i} by bob`, update)
  Y.applyUpdate(alice, Y.mergeUpdates(bobUpdates))
  addDoc('notebook with an edited cell and a deleted cell', alice)
}

{
  const doc = newDoc(31)
  const yfragment = doc.getXmlFragment('prosemirror')
  const yparagraph = new Y.XmlElement('paragraph')
  yparagraph.setAttribute('align', 'left')
  const yxmltext = new Y.XmlText('hello')
  yxmltext.format(0, 2, { bold: true })
  yparagraph.insert(0, [yxmltext])
  yfragment.insert(0, [yparagraph, new Y.XmlElement('hr')])
  addDoc('xml fragment with element, text and attributes', doc)
}

{
  const doc = newDoc(32)
  doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlHook('widget'), new Y.XmlElement('hr')])
  addDoc('xml hook followed by an element', doc)
}

{
  const doc = newDoc(41)
  const ytext = doc.getText('rich')
  ytext.insert(0, 'bold plain', { bold: true })
  ytext.format(5, 5, { bold: null, italic: { style: 'x' } })
  ytext.insertEmbed(4, { image: 'cat.png' })
  ytext.applyDelta([{ retain: 2 }, { delete: 1 }])
  addDoc('formatted text with an embed', doc)
}

{
  const doc = newDoc(51)
  doc.getMap('docs').set('sub', new Y.Doc({ guid: 'sub-guid', autoLoad: true }))
  addDoc('subdocument', doc)
}

{
  // Encoding from a state vector that ends inside a struct writes the struct with an
  // offset; here the cut falls between the halves of a surrogate pair.
  const doc = newDoc(61)
  doc.getText('t').insert(0, 'a🐍bc')
  const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(new Map([[61, 2]])))
  addUpdate('update from a state vector cutting a surrogate pair', update)
}

{
  const doc = newDoc(71)
  const parts = []
  doc.on('update', (update) => parts.push(update))
  const yarray = doc.getArray('a')
  yarray.push([1])
  yarray.push([2, 3])
  yarray.push([4])
  addUpdate('merged updates with a gap (skip)', Y.mergeUpdates([parts[0], parts[2]]))
}

{
  // Legacy ContentJSON (ref 2): no current API writes it, so build it with lib0.
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1) // one client section
  encoding.writeVarUint(encoder, 1) // one struct
  encoding.writeVarUint(encoder, 7) // client
  encoding.writeVarUint(encoder, 0) // clock
  encoding.writeUint8(encoder, 2) // info: ContentJSON, no origins
  encoding.writeVarUint(encoder, 1) // parentInfo: root type name follows
  encoding.writeVarString(encoder, 'legacy')
  encoding.writeVarUint(encoder, 3)
  encoding.writeVarString(encoder, '{"a":1}')
  encoding.writeVarString(encoder, 'undefined')
  encoding.writeVarString(encoder, '[1,"é"]')
  encoding.writeVarUint(encoder, 0) // empty delete set
  addUpdate('legacy ContentJSON', encoding.toUint8Array(encoder))
}

// --- sync frames ---------------------------------------------------------------

const frames = []
{
  const alice = newDoc(101)
  alice.getText('source').insert(0, 'print("hi")')
  const bob = newDoc(202)
  bob.getMap('meta').set('k', 'v')
  const sv = Y.encodeStateVector(alice)
  frames.push({ name: 'sync step 1 of a document', kind: 'sync_step1', input: hex(sv), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeSyncStep1(e, alice) }) })
  frames.push({ name: 'sync step 1 of an empty document', kind: 'sync_step1', input: hex(Y.encodeStateVector(newDoc(5))), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeSyncStep1(e, newDoc(5)) }) })
  const bobSv = Y.encodeStateVector(bob)
  frames.push({ name: 'sync step 2 answering a step 1', kind: 'sync_step2', input: hex(Y.encodeStateAsUpdate(alice, bobSv)), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeSyncStep2(e, alice, bobSv) }) })
  frames.push({ name: 'sync step 2 of an empty document', kind: 'sync_step2', input: hex(Y.encodeStateAsUpdate(newDoc(5))), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeSyncStep2(e, newDoc(5)) }) })
  for (const [i, update] of notebookUpdates.entries()) {
    frames.push({ name: `sync update ${i} of a notebook edit`, kind: 'sync_update', input: hex(update), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeUpdate(e, update) }) })
  }
  const big = newDoc(9)
  big.getText('t').insert(0, 'x'.repeat(20000))
  const bigUpdate = Y.encodeStateAsUpdate(big)
  frames.push({ name: 'sync update longer than 16 KiB', kind: 'sync_update', input: hex(bigUpdate), frame: frame((e) => { encoding.writeVarUint(e, messageSync); syncProtocol.writeUpdate(e, bigUpdate) }) })
}
for (const reason of ['read-only role', 'Zugriff verweigert: ✋ 🚫', '']) {
  frames.push({ name: `permission denied: ${JSON.stringify(reason)}`, kind: 'permission_denied', input: reason, frame: frame((e) => { encoding.writeVarUint(e, messageAuth); authProtocol.writePermissionDenied(e, reason) }) })
}
frames.push({ name: 'query awareness', kind: 'query_awareness', input: null, frame: frame((e) => encoding.writeVarUint(e, messageQueryAwareness)) })
for (const body of [{ id: 'r1', cmd: 'run', cell: 'c1' }, { id: 7, ok: true, result: { names: ['x', 'ñ'], n: 1.5 } }]) {
  frames.push({ name: `command message ${body.id}`, kind: 'command', input: body, frame: frame((e) => { encoding.writeVarUint(e, MESSAGE_COMMAND); encoding.writeVarString(e, JSON.stringify(body)) }) })
}

// --- awareness --------------------------------------------------------------------

const awareness = []
{
  const doc = newDoc(3000000001)
  const aw = new awarenessProtocol.Awareness(doc)
  aw.setLocalStateField('user', { name: 'Zoë 🐍 Ünïcödé', color: '#ee6352' })
  aw.setLocalStateField('cursor', { anchor: 12, head: 12.5, ratio: 1e-7, far: 1e21, neg: -0.000001, exact: 123456789012 })
  const remote = new awarenessProtocol.Awareness(newDoc(42))
  remote.setLocalState({ user: { name: 'Bob "the" \\ builder\n\t\u0001' }, '10': 'ten', '2': 'two', b: 'bee' })
  awarenessProtocol.applyAwarenessUpdate(aw, awarenessProtocol.encodeAwarenessUpdate(remote, [42]), 'remote')
  const addAwareness = (name, clients) => {
    const payload = awarenessProtocol.encodeAwarenessUpdate(aw, clients)
    const entries = clients.map((id) => ({ client_id: id, clock: aw.meta.get(id).clock, state: aw.getStates().get(id) ?? null }))
    awareness.push({ name, payload: hex(payload), entries, frame: frame((e) => { encoding.writeVarUint(e, messageAwareness); encoding.writeVarUint8Array(e, payload) }) })
  }
  addAwareness('local user with a unicode name', [doc.clientID])
  addAwareness('two users', [doc.clientID, 42])
  aw.setLocalState(null)
  addAwareness('a user who left', [doc.clientID])
  aw.destroy()
  remote.destroy()
}

// --- lib0 and JavaScript values ----------------------------------------------

const encodeWith = (write, value) => frame((e) => write(e, value))
const tag = (value) => {
  if (value instanceof Uint8Array) return { $bytes: hex(value) }
  if (typeof value === 'bigint') return { $bigint: String(value) }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) }
  if (Object.is(value, -0)) return { $number: '-0' }
  if (Array.isArray(value)) return value.map(tag)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tag(v)]))
  return value
}
const varUints = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 32 - 1, 2 ** 53 - 1]
const varInts = [0, 1, -1, 63, 64, -63, -64, 8191, 8192, 2 ** 31 - 1, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), -0]
const anys = [
  null, true, false, 0, -0, -1, 63, 64, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 40, 2 ** 53 - 1,
  1.5, 0.1, -2.5, 1e300, 3.4028234663852886e38, NaN, Infinity, -Infinity,
  '', 'héllo 🐍', 'x'.repeat(300), [], {}, [1, 'a', [null, [[]]]],
  { a: 1, b: { c: [true, 0.25] }, 1: 'one', 0: 'zero', z: null },
  new Uint8Array([0, 1, 255]), 2n ** 62n, -5n
]
const keyOrders = [[['b', 3], ['10', 1], ['2', 2], ['a', 0]], [['01', 1], ['1', 2], ['4294967295', 3], ['4294967294', 4]]]
const numbers = [0, -0, 1, -1, 0.1, 1.5, 100, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 1.5e-7, -2.5e-10, 5e-324, 1.7976931348623157e308, 2 ** 53, 0.000123, 1234.5678, 1e16, 1.5e16]

const lib0 = {
  var_uint: varUints.map((n) => ({ value: n, encoded: encodeWith(encoding.writeVarUint, n) })),
  var_int: varInts.map((n) => ({ value: tag(n), encoded: encodeWith(encoding.writeVarInt, n) })),
  any: anys.map((v) => ({ value: tag(v), encoded: encodeWith(encoding.writeAny, v) })),
  var_string: ['', 'ascii', 'Zoë', '🐍👩‍👩‍👧', 'a\u0000b'].map((s) => ({ value: s, encoded: encodeWith(encoding.writeVarString, s) }))
}
const jsvalue = {
  key_order: keyOrders.map((entries) => ({ entries, text: JSON.stringify(Object.fromEntries(entries)) })),
  numbers: numbers.map((n) => ({ value: tag(n), text: JSON.stringify(n) })),
  strings: ['plain', 'quote " backslash \\ slash /', 'controls \u0000\u0001\b\f\n\r\t\u001f\u007f', 'lone \ud800 high', 'lone \udc00 low', 'pair 🐍', '\u2028\u2029'].map((s) => ({ value: s, text: JSON.stringify(s) }))
}

const stateVectors = [
  { name: 'state vector of three clients', encoded: hex(Y.encodeStateVector(new Map([[5, 10], [2 ** 32 - 1, 1], [300, 70000]]))), decoded: { 5: 10, 4294967295: 1, 300: 70000 } },
  { name: 'empty state vector', encoded: hex(Y.encodeStateVector(new Map())), decoded: {} }
]

process.stdout.write(JSON.stringify({ updates, frames, awareness, lib0, jsvalue, state_vectors: stateVectors }))
