/** pairbook's HTTP API (docs/http-api.md), called from JupyterLab's page with the person's
 * token in the Authorization header. The server answers a JupyterLab on another origin
 * only when it was started with `--allow-origin` for it. */

export type Role = 'owner' | 'editor' | 'viewer'

export interface User {
  id: string
  name: string
  color: string
}

export interface Me {
  role: Role
  user: User | null
  invite: boolean
}

export interface NotebookEntry {
  path: string
  name: string
  cells?: number
  peers?: number
  error?: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>

export class PairbookApi {
  constructor(
    readonly server: string,
    readonly token: string,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init)
  ) {}

  me(): Promise<Me> {
    return this.request<Me>('GET', '/api/me')
  }

  /** Spends one use of an invite (this api's token) on a personal token. */
  async join(name: string): Promise<{ token: string; role: Role; user: User }> {
    return this.request('POST', '/api/join', { invite: this.token, name })
  }

  async notebooks(): Promise<NotebookEntry[]> {
    const reply = await this.request<{ notebooks: NotebookEntry[] }>('GET', '/api/notebooks')
    return reply.notebooks
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let response: Response
    try {
      response = await this.fetcher(`${this.server}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store'
      })
    } catch (error) {
      // A browser says as little as "Failed to fetch" for a refused CORS answer too.
      throw new ApiError(
        0,
        `cannot reach pairbook at ${this.server}: is it running, and started with ` +
          `--allow-origin ${globalThis.location?.origin ?? "<this page's origin>"}? (${String(error)})`
      )
    }
    const text = await response.text()
    let parsed: unknown = null
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      parsed = null
    }
    if (!response.ok) {
      const said = (parsed as { error?: unknown } | null)?.error
      throw new ApiError(response.status, typeof said === 'string' ? said : `${method} ${path}: HTTP ${response.status}`)
    }
    return parsed as T
  }
}
