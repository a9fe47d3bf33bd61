/** The server's HTTP API, called with the person's token. */

import { roomName } from './routes'

export type Role = 'owner' | 'editor' | 'viewer'

export interface User {
  id: string
  name: string
  color: string
  email?: string
}

export interface Me {
  role: Role
  user: User | null
  invite: boolean
}

export interface NotebookEntry {
  path: string
  name: string
  url: string
  cells?: number
  peers?: number
  error?: string
  conflict?: string | null
  /** The notebook's `.py` twin (jupytext's paired file), when it has one. */
  twin?: string
}

export interface Invite {
  id: string
  token: string
  role: Role
  url: string
  uses: number
  expires: number
}

/** A grant as the owner's People/Access panel lists it (never a token). */
export interface AccessEntry {
  id: string
  kind: 'owner' | 'person' | 'invite'
  role: Role
  created: number
  last_seen: number | null
  label: string
  user?: User
  online?: number
  uses_left?: number
  expires?: number
  you?: boolean
}

export interface People {
  people: AccessEntry[]
  invites: AccessEntry[]
  owner_logins: AccessEntry[]
}

export interface Joined {
  token: string
  role: Role
  user: User
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export class Api {
  constructor(
    private token: string,
    private readonly base = ''
  ) {}

  useToken(token: string): void {
    this.token = token
  }

  me(): Promise<Me> {
    return this.call<Me>('GET', '/api/me')
  }

  async notebooks(): Promise<NotebookEntry[]> {
    const body = await this.call<{ notebooks: NotebookEntry[] }>('GET', '/api/notebooks')
    return body.notebooks
  }

  createNotebook(path: string): Promise<{ path: string; url: string }> {
    return this.call('POST', '/api/notebooks', { path })
  }

  invite(role: 'editor' | 'viewer', uses = 1, expiresIn = 7 * 86400): Promise<Invite> {
    return this.call('POST', '/api/invites', { role, uses, expires_in: expiresIn })
  }

  people(): Promise<People> {
    return this.call('GET', '/api/people')
  }

  /** Revoke a person (their user id), an owner login or an invite: their sockets close. */
  revoke(entry: AccessEntry): Promise<unknown> {
    const id = entry.kind === 'person' && entry.user ? entry.user.id : entry.id
    const collection = entry.kind === 'invite' ? 'invites' : 'people'
    return this.call('DELETE', `/api/${collection}/${encodeURIComponent(id)}`)
  }

  join(invite: string, name: string, email = ''): Promise<Joined> {
    return this.call('POST', '/api/join', { invite, name, email })
  }

  /** A single-use ticket to open one websocket (the token stays out of its URL). */
  async ticket(): Promise<string> {
    const body = await this.call<{ ticket: string }>('POST', '/api/tickets')
    return body.ticket
  }

  /** The kernel's imported packages as a requirements file. */
  requirements(path: string): Promise<string> {
    return authorizedRequest(`${this.base}/api/requirements/${roomName(path)}`, this.token)
  }

  /** The notebook as its file holds it now (`ipynb`), or as a percent-format script (`py`). */
  download(path: string, format: DownloadFormat): Promise<string> {
    return authorizedRequest(`${this.base}/api/download/${roomName(path)}?format=${format}`, this.token)
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return parseJson(await authorizedRequest(this.base + path, this.token, method, body)) as T
  }
}

export type DownloadFormat = 'ipynb' | 'py'

/** One request with the person's token; the response's text. A refusal throws ApiError with
 * the server's `error` message (or the status when it sent none). */
export async function authorizedRequest(url: string, token: string, method = 'GET', body?: unknown): Promise<string> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
  const init: RequestInit = { method, headers }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let response: Response
  try {
    response = await fetch(url, init)
  } catch {
    throw new ApiError(0, 'the server cannot be reached; check that pairbook is running')
  }
  const text = await response.text()
  if (!response.ok) {
    const parsed = parseJson(text)
    const message =
      parsed !== null && typeof parsed === 'object' && 'error' in parsed
        ? String((parsed as { error: unknown }).error)
        : `${method} ${url} failed with ${response.status}`
    throw new ApiError(response.status, message)
  }
  return text
}

/** JSON text as a value; null for an empty or unreadable body. */
export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return null
  }
}
