import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'

import { type CommLink, type CommReply, EchoWaits, MAX_EARLY, MIN_INTERVAL_MS, SharedComm } from '../src/widgets/sharedComm'
import { collectChanges, isKnownModule, readRecord, stateOf } from '../src/widgets/widgetState'

/** A `widgets` map as the server writes it (pairbook/kernel/widgetdoc.py). */
function widgetsDoc(): { doc: Y.Doc; ymodels: Y.Map<unknown> } {
  const doc = new Y.Doc()
  const ymodels = doc.getMap<unknown>('widgets')
  doc.transact(() => {
    const ymodel = new Y.Map<unknown>()
    ymodels.set('slider', ymodel)
    const ystate = new Y.Map<unknown>()
    ymodel.set('state', ystate)
    ystate.set('_model_module', '@jupyter-widgets/controls')
    ystate.set('_model_name', 'IntSliderModel')
    ystate.set('value', 3)
    ystate.set('image', null)
    const ybuffers = new Y.Map<unknown>()
    ymodel.set('buffers', ybuffers)
    ybuffers.set('["image"]', new Uint8Array([137, 80, 78, 71]))
    ymodel.set('by', null)
    ymodel.set('gone', false)
  })
  return { doc, ymodels }
}

function setValue(ymodels: Y.Map<unknown>, value: number): void {
  ;((ymodels.get('slider') as Y.Map<unknown>).get('state') as Y.Map<unknown>).set('value', value)
}

interface Sent {
  model: string
  body: { state?: Record<string, unknown>; custom?: unknown; echo?: string }
  answer: (reply: CommReply) => void
}

/** A page's link with a fake clock: sends wait until the test answers them. */
function fakeLink(ymodels: Y.Map<unknown>, canSend = true) {
  const sent: Sent[] = []
  const taken = new Map<string, (reply: CommReply) => void>()
  const refused: string[] = []
  let clock = 0
  const waits: { until: number; resolve: () => void }[] = []
  const link: CommLink = {
    send: (model, body) => new Promise((resolve) => sent.push({ model, body, answer: resolve })),
    taken: (echo) => new Promise((resolve) => taken.set(echo, resolve)),
    canSend: () => canSend,
    current: (model, keys) => stateOf(ymodels, model, keys),
    refused: (message) => refused.push(message),
    now: () => clock,
    wait: (ms) => new Promise((resolve) => waits.push({ until: clock + ms, resolve }))
  }
  const advance = (ms: number): void => {
    clock += ms
    for (const wait of waits.splice(0)) if (wait.until <= clock) wait.resolve()
      else waits.push(wait)
  }
  return { link, sent, taken, refused, advance }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('the widgets map as the page reads it', () => {
  it('reads a model with its binary values as DataViews at their paths', () => {
    const { ymodels } = widgetsDoc()
    const record = readRecord(ymodels, 'slider')
    expect(record?.state.value).toBe(3)
    expect(record?.bufferPaths).toEqual([['image']])
    expect(new Uint8Array(record!.buffers[0]!.buffer, record!.buffers[0]!.byteOffset, 4)).toEqual(new Uint8Array([137, 80, 78, 71]))
    expect(record?.gone).toBe(false)
    expect(readRecord(ymodels, 'nothing')).toBeNull()
  })

  it('tells which state keys of which model changed, and which models came, went or are gone', () => {
    const { doc, ymodels } = widgetsDoc()
    const batches: ReturnType<typeof collectChanges>[] = []
    ymodels.observeDeep((events) => batches.push(collectChanges(ymodels, events)))
    setValue(ymodels, 8)
    expect([...batches[0]!.keys.get('slider')!]).toEqual(['value'])
    doc.transact(() => (ymodels.get('slider') as Y.Map<unknown>).set('gone', true))
    expect([...batches[1]!.gone]).toEqual(['slider'])
    ymodels.delete('slider')
    expect([...batches[2]!.removed]).toEqual(['slider'])
  })

  it('knows the maintained widget libraries only', () => {
    expect(isKnownModule('@jupyter-widgets/controls')).toBe(true)
    expect(isKnownModule('bqplot')).toBe(false)
    expect(isKnownModule(undefined)).toBe(false)
  })
})

describe('a widget comm bound to the room', () => {
  it('sends a change as a widget command, echoes the map under its own id once the kernel took it, and frees the throttle no sooner than the interval', async () => {
    const { ymodels } = widgetsDoc()
    const { link, sent, taken, advance } = fakeLink(ymodels)
    const comm = new SharedComm('slider', link)
    const received: { parent: string; state: Record<string, unknown> }[] = []
    comm.on_msg((msg) => {
      const m = msg as { parent_header: { msg_id: string }; content: { data: { state: Record<string, unknown> } } }
      received.push({ parent: m.parent_header.msg_id, state: m.content.data.state })
    })
    const idle: string[] = []
    const msgId = comm.send({ method: 'update', state: { value: 9 }, buffer_paths: [] }, { iopub: { status: () => idle.push('idle') } })
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toEqual({ state: { value: 9 }, echo: msgId })
    sent[0]!.answer({ ok: true }) // queued: the kernel has not taken it yet
    await flush()
    expect(received).toEqual([])
    setValue(ymodels, 9) // the kernel's echo reaches the map before the widget-echo event
    taken.get(msgId)!({ ok: true })
    await flush()
    expect(received).toEqual([{ parent: msgId, state: { value: 9 } }])
    expect(idle).toEqual([]) // answered at once: the next change waits for the interval
    advance(MIN_INTERVAL_MS)
    await flush()
    expect(idle).toEqual(['idle'])
  })

  it('a change the kernel could not take snaps back to the map and says why', async () => {
    const { ymodels } = widgetsDoc()
    const { link, sent, taken, refused } = fakeLink(ymodels)
    const comm = new SharedComm('slider', link)
    const received: unknown[] = []
    comm.on_msg((msg) => received.push((msg as { content: { data: { state: unknown } } }).content.data.state))
    const msgId = comm.send({ method: 'update', state: { value: 10 }, buffer_paths: [] })
    sent[0]!.answer({ ok: true })
    await flush()
    taken.get(msgId)!({ ok: false, error: 'the kernel died while it handled the widget change' })
    await flush()
    expect(refused).toEqual(['the kernel died while it handled the widget change'])
    expect(received).toEqual([{ value: 3 }])
  })

  it('a refused change snaps back to the map and says why', async () => {
    const { ymodels } = widgetsDoc()
    const { link, sent, refused } = fakeLink(ymodels)
    const comm = new SharedComm('slider', link)
    const received: unknown[] = []
    comm.on_msg((msg) => received.push((msg as { content: { data: { state: unknown } } }).content.data.state))
    comm.send({ method: 'update', state: { value: 10 }, buffer_paths: [] })
    sent[0]!.answer({ ok: false, error: 'only the driver changes widgets' })
    await flush()
    expect(refused).toEqual(['only the driver changes widgets'])
    expect(received).toEqual([{ value: 3 }])
  })

  it('never sends for a person who cannot change widgets, and sends a click as a custom message', async () => {
    const { ymodels } = widgetsDoc()
    const locked = fakeLink(ymodels, false)
    new SharedComm('slider', locked.link).send({ method: 'update', state: { value: 1 }, buffer_paths: [] })
    await flush()
    expect(locked.sent).toEqual([])
    expect(locked.refused).toEqual([])
    const open = fakeLink(ymodels)
    new SharedComm('slider', open.link).send({ method: 'custom', content: { event: 'click' } })
    expect(open.sent[0]!.body).toMatchObject({ custom: { event: 'click' } })
  })
})

describe('the widget-echo answers a page waits for', () => {
  it('an answer that comes before its wait began (another server process) still ends the wait', async () => {
    const waits = new EchoWaits()
    waits.settle('pairbook-1', { ok: true }) // the event overtook the command's reply
    await expect(waits.wait('pairbook-1')).resolves.toEqual({ ok: true })
    const later = waits.wait('pairbook-2')
    waits.settle('pairbook-2', { ok: false, error: 'gone' })
    await expect(later).resolves.toEqual({ ok: false, error: 'gone' })
  })

  it('keeps a bounded number of early answers, and a dropped connection ends every wait', async () => {
    const waits = new EchoWaits()
    for (let n = 0; n <= MAX_EARLY; n++) waits.settle(`e${n}`, { ok: true })
    const oldest = waits.wait('e0') // forgotten: waits until the connection drops
    await expect(waits.wait(`e${MAX_EARLY}`)).resolves.toEqual({ ok: true })
    waits.endAll({ ok: false, error: 'the connection dropped' })
    await expect(oldest).resolves.toEqual({ ok: false, error: 'the connection dropped' })
  })
})
