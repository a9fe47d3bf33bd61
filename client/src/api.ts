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
}

export interface Invite {
  token: string
  role: Role
  url: string
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

  invite(role: 'editor' | 'viewer'): Promise<Invite> {
    return this.call('POST', '/api/invites', { role })
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

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return parseJson(await authorizedRequest(this.base + path, this.token, method, body)) as T
  }
}

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
