/** SharedComm: a widget model's comm, bound to the room instead of a kernel connection.
 *
 * The kernel's messages come from the shared `widgets` map (`deliver`); what the model
 * sends becomes a `widget` command, queued by the server at once. Once the kernel took it
 * and its echo is in the map, the server's `widget-echo` event names the message id the
 * command carried: the model then gets that echo under its own id (so the widget's echo
 * bookkeeping drops older values meanwhile), and the kernel "idle" its message throttle
 * waits for, no sooner than MIN_INTERVAL_MS after the send. A dragged slider so sends at
 * most ~20 changes a second, and its last value always goes. */

export const MIN_INTERVAL_MS = 50
/** Answers kept for a wait that has not begun (see EchoWaits). */
export const MAX_EARLY = 100

export interface CommReply {
  ok: boolean
  error?: string
}

/** What a comm needs of its page: send a change, whether this person may, the map's
 * current values of some keys, and a place to say a change was refused. */
export interface CommLink {
  send(model: string, body: { state?: Record<string, unknown>; custom?: unknown; echo: string }): Promise<CommReply | null>
  /** The server's word that the kernel took the change sent with this echo id. */
  taken(echo: string): Promise<CommReply>
  canSend(): boolean
  current(model: string, keys: string[]): { state: Record<string, unknown>; bufferPaths: (string | number)[][]; buffers: DataView[] }
  refused(message: string): void
  now(): number
  wait(ms: number): Promise<void>
}

interface Callbacks {
  iopub?: { status?: (msg: unknown) => void }
}

type MsgHandler = (msg: unknown) => void

let sent = 0

export class SharedComm {
  readonly target_name = 'jupyter.widget'
  private onMessage: MsgHandler | null = null
  private onClosed: MsgHandler | null = null

  constructor(
    readonly comm_id: string,
    private readonly link: CommLink
  ) {}

  open(): string {
    throw new Error('pairbook widgets are made by the kernel: a page cannot open one')
  }

  /** The model sends `{method, state, buffer_paths}` or `{method: 'custom', content}`. */
  send(data: unknown, callbacks?: Callbacks, _metadata?: unknown, buffers?: unknown[]): string {
    const msgId = `pairbook-${++sent}`
    const body = data as { method?: string; state?: Record<string, unknown>; content?: unknown }
    void this.relay(msgId, body, callbacks, buffers?.length ?? 0)
    return msgId
  }

  private async relay(msgId: string, body: { method?: string; state?: Record<string, unknown>; content?: unknown }, callbacks: Callbacks | undefined, buffers: number): Promise<void> {
    const started = this.link.now()
    const keys = Object.keys(body.state ?? {})
    let reply: CommReply | null
    // A locked page's widgets take no input; what a model changes by itself there (a
    // playing Play) just snaps back to the map, silently.
    if (!this.link.canSend()) reply = null
    else if (buffers > 0) reply = { ok: false, error: 'pairbook does not send binary widget values from the page' }
    else if (body.method === 'update') reply = await this.link.send(this.comm_id, { state: body.state ?? {}, echo: msgId })
    else if (body.method === 'custom') reply = await this.link.send(this.comm_id, { custom: body.content, echo: msgId })
    else reply = { ok: false, error: `unknown widget message ${String(body.method)}` }
    if (reply?.ok === true) reply = await this.link.taken(msgId)
    if (reply !== null && !reply.ok) this.link.refused(reply.error ?? 'the widget change was refused')
    // The map's values (the kernel's echo, or the old ones if refused) under our id.
    if (keys.length > 0) this.deliverEcho(msgId, keys)
    const left = MIN_INTERVAL_MS - (this.link.now() - started)
    if (left > 0) await this.link.wait(left)
    callbacks?.iopub?.status?.({ header: { msg_type: 'status' }, parent_header: { msg_id: msgId }, content: { execution_state: 'idle' } })
  }

  private deliverEcho(msgId: string, keys: string[]): void {
    const { state, bufferPaths, buffers } = this.link.current(this.comm_id, keys)
    this.deliver({ method: 'echo_update', state, buffer_paths: bufferPaths }, buffers, msgId)
  }

  /** A message from the kernel, as the map tells it (`parent`: the message it answers). */
  deliver(data: Record<string, unknown>, buffers: DataView[] = [], parent = 'pairbook-map'): void {
    this.onMessage?.({
      header: { msg_type: 'comm_msg' },
      parent_header: { msg_id: parent },
      content: { comm_id: this.comm_id, data },
      buffers
    })
  }

  /** The kernel closed the model (it left the map). */
  deliverClose(): void {
    this.onClosed?.({ header: { msg_type: 'comm_close' }, content: { comm_id: this.comm_id, data: {} } })
  }

  close(): string {
    return '' // a page never closes the kernel's model
  }

  on_msg(callback: MsgHandler): void {
    this.onMessage = callback
  }

  on_close(callback: MsgHandler): void {
    this.onClosed = callback
  }
}

/** The `widget-echo` answers a page waits for, by echo id. With several server processes the
 * event (it travels on the room's stream) may come before the command's reply (it travels
 * between the processes' inboxes): an answer that came before its wait began is kept (the
 * last MAX_EARLY of them) for the wait that follows, which would otherwise never end and
 * hold the widget's throttle, so the control sent nothing more. */
export class EchoWaits {
  private readonly waiting = new Map<string, (reply: CommReply) => void>()
  private readonly early = new Map<string, CommReply>()

  wait(echo: string): Promise<CommReply> {
    const reply = this.early.get(echo)
    if (reply === undefined) return new Promise((resolve) => this.waiting.set(echo, resolve))
    this.early.delete(echo)
    return Promise.resolve(reply)
  }

  settle(echo: string, reply: CommReply): void {
    const settle = this.waiting.get(echo)
    this.waiting.delete(echo)
    if (settle !== undefined) return settle(reply)
    this.early.set(echo, reply)
    for (const old of this.early.keys()) {
      if (this.early.size <= MAX_EARLY) break
      this.early.delete(old)
    }
  }

  /** Every wait under way ends with `reply` (the connection dropped). */
  endAll(reply: CommReply): void {
    for (const settle of this.waiting.values()) settle(reply)
    this.waiting.clear()
    this.early.clear()
  }
}
