/** The replay's HTTP API (`/api/replay/<notebook>/…`), called with the person's token. */

import { authorizedRequest, parseJson } from '../api'
import { roomName } from '../routes'
import type { UserRecord } from '../schema'

export interface TimelineEvent {
  seq: number
  ts: number
  kind: 'join' | 'leave' | 'awareness' | 'command' | 'run' | 'kernel' | 'role' | 'recording' | 'restore' | 'chat' | string
  user: string
  data: Record<string, unknown>
}

/** A recorded person: the one user shape. */
export type Person = UserRecord

export interface OffWindow {
  from_seq: number
  to_seq: number | null
  from_ts: number
  to_ts: number
}

export interface Timeline {
  room: string
  first_seq: number
  last_seq: number
  start_ts: number
  end_ts: number
  bins: number
  density: Record<string, number[]>
  /** Everyone the timeline names (authors, event users, drivers and roles of role changes). */
  people: Record<string, Person>
  /** The color of the server's own changes (the file, the disk, pairbook). */
  server_color: string
  events: TimelineEvent[]
  off: OffWindow[]
  live?: boolean
}

export interface PresenceState {
  user: string
  client: number
  state: Record<string, unknown>
}

export interface Moment {
  seq: number
  ts: number
  update: string
  presence: PresenceState[]
}

export interface Step {
  seq: number
  ts: number
  user: string
  update: string
  gap?: boolean
}

export interface Chunk {
  after: number
  last: number
  steps: Step[]
  events: TimelineEvent[]
}

export interface BlameLine {
  line: number
  text: string
  user: string
  seq: number
  ts: number
  authors: string[]
}

export interface CellBlame {
  cell: string
  seq: number
  lines: BlameLine[]
}

export class ReplayApi {
  private readonly base: string

  constructor(
    private readonly token: string,
    private readonly path: string
  ) {
    this.base = `/api/replay/${roomName(path)}`
  }

  timeline(): Promise<Timeline> {
    return this.call('GET', '/timeline')
  }

  moment(at: { seq: number } | { t: number }): Promise<Moment> {
    const query = 'seq' in at ? `seq=${at.seq}` : `t=${at.t}`
    return this.call('GET', `/moment?${query}`)
  }

  chunk(after: number, limit = 300): Promise<Chunk> {
    return this.call('GET', `/chunk?after=${after}&limit=${limit}`)
  }

  blame(seq: number, cell: string): Promise<CellBlame> {
    return this.call('GET', `/blame?seq=${seq}&cell=${encodeURIComponent(cell)}`)
  }

  restore(seq: number, cell: string | null): Promise<{ restored: number; seq: number | null }> {
    return this.call('POST', '/restore', cell === null ? { seq } : { seq, cell })
  }

  /** The session as JSON lines, fetched with the Authorization header: a download link
   * would have to carry the token in its URL, where the page (and its styles) could read it. */
  exportText(): Promise<string> {
    return authorizedRequest(`${this.base}/export`, this.token)
  }

  /** The file name the server gives the export. */
  exportName(): string {
    return `${this.path.split('/').pop()?.replace(/\.ipynb$/, '') ?? 'notebook'}.replay.jsonl`
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return parseJson(await authorizedRequest(this.base + path, this.token, method, body)) as T
  }
}

/** The bytes of a base64 string (updates travel base64 in JSON). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
