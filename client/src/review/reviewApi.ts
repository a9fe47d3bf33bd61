/** The review's HTTP API (`/api/review/<notebook>?since=…`), called with the person's token. */

import { authorizedRequest, parseJson } from '../api'
import { roomName } from '../routes'
import type { UserRecord } from '../schema'

export interface LeftLine {
  no: number
  text: string
}

export interface RightLine extends LeftLine {
  /** Who changed the line last ('' before the recording; `pairbook:…` the server). */
  user: string
  authors: string[]
  ts: number
}

export interface DiffRow {
  kind: 'equal' | 'changed' | 'added' | 'deleted'
  left: LeftLine | null
  right: RightLine | null
}

export interface OutputView {
  type: string
  text: string
  truncated: number
  mime?: string
  image?: string
}

export interface RunView {
  id: string
  user: Partial<UserRecord>
  status: string
  execution_count: number | null
  started_at: number | null
  finished_at: number | null
  produced_outputs: boolean
}

export interface CellChange {
  id: string
  status: 'added' | 'deleted' | 'changed' | 'unchanged'
  moved: boolean
  cell_type: string
  before_type: string | null
  index_before: number | null
  index_after: number | null
  source_changed: boolean
  outputs_changed: boolean
  rows: DiffRow[]
  authors: string[]
  outputs_before: OutputView[]
  outputs_after: OutputView[]
  runs: RunView[]
  first_line?: string
}

export interface GitCommit {
  sha: string
  short: string
  ts: number
  author: string
  subject: string
}

export interface Review {
  notebook: string
  recorded: boolean
  since: { kind: 'commit' | 'time' | 'start'; seq: number; ts: number | null; commit: GitCommit | null; in_commit?: boolean }
  until: { seq: number; ts: number | null }
  commits: GitCommit[]
  link: string
  counts: Record<'added' | 'deleted' | 'changed' | 'unchanged' | 'moved' | 'runs', number>
  people: Record<string, UserRecord>
  server_color: string
  cells: CellChange[]
}

export async function fetchReview(token: string, path: string, since: string | null): Promise<Review> {
  const query = since === null || since === '' ? '' : `?since=${encodeURIComponent(since)}`
  return parseJson(await authorizedRequest(`/api/review/${roomName(path)}${query}`, token)) as Review
}
