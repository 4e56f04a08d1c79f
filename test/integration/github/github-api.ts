// A local stand-in for the GitHub REST API on 127.0.0.1: the routes phasegate uses, with GitHub's paging
// (Link headers), authentication, error bodies and rate-limit headers, recording every request it gets.
// Tests script failures (500, 403, 429 with Retry-After, ...) for the next matching requests.
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

export const REPOSITORY = 'octo-org/octo-repo'

export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: any
  /** Server clock when the request arrived (ms), to check how long a client waited before retrying. */
  at: number
}

export interface ScriptedResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

export interface IssueComment {
  id: number
  body: string
  html_url: string
  user: {login: string; type: string}
  created_at: string
  updated_at: string
}

interface Script {
  method: string
  path: RegExp
  responses: ScriptedResponse[]
}

const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100

export class FakeGitHub {
  readonly requests: RecordedRequest[] = []
  readonly checkRuns: any[] = []
  /** Comments per "owner/repo#number", oldest first, as GitHub lists them. */
  readonly comments = new Map<string, IssueComment[]>()
  /** Head commit per open pull request of REPOSITORY. */
  readonly pulls = new Map<number, string>()
  private readonly scripts: Script[] = []
  private nextId = 1000

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    private readonly user: string | undefined,
  ) {}

  /**
   * Listens on 127.0.0.1 on a free port; requests must carry `token`. With `user` the token is that user's: GET /user
   * names it and it writes the comments; without, it is an Actions installation token: GET /user is 403, comments are
   * github-actions[bot]'s.
   */
  static async start(token: string, user?: string): Promise<FakeGitHub> {
    // Requests arrive only after listen, by when `fake` below is set.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const reply = fake.handle(req.method ?? 'GET', req.url ?? '/', req.headers, text)
        res.writeHead(reply.status, {'content-type': 'application/json; charset=utf-8', ...reply.headers})
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    const fake = new FakeGitHub(server, `http://127.0.0.1:${port}`, token, user)
    return fake
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Forgets requests, comments, check runs and scripts between tests. */
  reset(): void {
    this.requests.length = 0
    this.checkRuns.length = 0
    this.comments.clear()
    this.pulls.clear()
    this.scripts.length = 0
  }

  /** The next requests matching `method` and `path` get these responses, one each, before normal service resumes. */
  script(method: string, path: RegExp, ...responses: ScriptedResponse[]): void {
    this.scripts.push({method, path, responses: [...responses]})
  }

  /** Comments already on the pull request, oldest first; returns them with their ids. */
  seed(issue: number, bodies: string[], login = 'someone'): IssueComment[] {
    const list = this.list(REPOSITORY, issue)
    const added = bodies.map((body) => this.newComment(REPOSITORY, issue, body, login))
    list.push(...added)
    return added
  }

  list(repository: string, issue: number): IssueComment[] {
    const key = `${repository}#${issue}`
    if (!this.comments.has(key)) this.comments.set(key, [])
    return this.comments.get(key)!
  }

  private newComment(repository: string, issue: number, body: string, login: string): IssueComment {
    const id = this.nextId++
    const now = new Date().toISOString()
    return {
      body,
      created_at: now,
      html_url: `https://github.test/${repository}/pull/${issue}#issuecomment-${id}`,
      id,
      updated_at: now,
      user: {login, type: login.endsWith('[bot]') ? 'Bot' : 'User'},
    }
  }

  private handle(method: string, rawUrl: string, headers: IncomingHttpHeaders, text: string): ScriptedResponse {
    const url = new URL(rawUrl, this.url)
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    this.requests.push({at: Date.now(), body, headers, method, path: url.pathname, query: url.searchParams})

    const scripted = this.scripts.find(
      (s) => s.method === method && s.path.test(url.pathname) && s.responses.length > 0,
    )
    if (scripted) return scripted.responses.shift()!

    const auth = /^(token|bearer) (.+)$/i.exec(String(headers.authorization ?? ''))
    if (!auth || auth[2] !== this.token) return error(401, 'Bad credentials')

    if (method === 'GET' && url.pathname === '/user') {
      return this.user === undefined
        ? error(403, 'Resource not accessible by integration')
        : {body: {login: this.user, type: 'User'}, status: 200}
    }
    const route = /^\/repos\/([^/]+)\/([^/]+)\/(.+)$/.exec(url.pathname)
    if (!route || `${route[1]}/${route[2]}` !== REPOSITORY) return error(404, 'Not Found')
    const [, owner, repo, rest] = route
    const repository = `${owner}/${repo}`

    let match: RegExpExecArray | null
    if (method === 'GET' && (match = /^issues\/(\d+)\/comments$/.exec(rest!))) {
      return this.page(repository, Number(match[1]), url)
    }
    if (method === 'GET' && (match = /^pulls\/(\d+)$/.exec(rest!))) {
      const sha = this.pulls.get(Number(match[1]))
      if (sha === undefined) return error(404, 'Not Found')
      return {
        body: {
          head: {ref: 'patch-1', repo: {full_name: 'fork-owner/octo-repo'}, sha},
          number: Number(match[1]),
          state: 'open',
        },
        status: 200,
      }
    }
    if (method === 'POST' && (match = /^issues\/(\d+)\/comments$/.exec(rest!))) {
      const comment = this.newComment(
        repository,
        Number(match[1]),
        String((body as {body?: unknown})?.body ?? ''),
        this.user ?? 'github-actions[bot]',
      )
      this.list(repository, Number(match[1])).push(comment)
      return {body: comment, status: 201}
    }
    if (method === 'PATCH' && (match = /^issues\/comments\/(\d+)$/.exec(rest!))) {
      const comment = [...this.comments.entries()]
        .filter(([key]) => key.startsWith(`${repository}#`))
        .flatMap(([, list]) => list)
        .find((c) => c.id === Number(match![1]))
      if (!comment) return error(404, 'Not Found')
      comment.body = String((body as {body?: unknown})?.body ?? '')
      comment.updated_at = new Date().toISOString()
      return {body: comment, status: 200}
    }
    if (method === 'POST' && rest === 'check-runs') {
      const run = {
        ...(body as object),
        html_url: `https://github.test/${repository}/runs/${this.nextId}`,
        id: this.nextId++,
      }
      this.checkRuns.push(run)
      return {body: run, status: 201}
    }
    return error(404, 'Not Found')
  }

  /** One page of comments with GitHub's Link header (first, prev, next, last as they apply). */
  private page(repository: string, issue: number, url: URL): ScriptedResponse {
    const list = this.list(repository, issue)
    const perPage = Math.min(MAX_PER_PAGE, Number(url.searchParams.get('per_page') ?? DEFAULT_PER_PAGE))
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1))
    const last = Math.max(1, Math.ceil(list.length / perPage))
    const link = (n: number, rel: string) => {
      const target = new URL(url.pathname, this.url)
      target.searchParams.set('per_page', String(perPage))
      target.searchParams.set('page', String(n))
      return `<${target.href}>; rel="${rel}"`
    }
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ]
    return {
      body: list.slice((page - 1) * perPage, page * perPage),
      headers: links.length > 0 ? {link: links.join(', ')} : {},
      status: 200,
    }
  }
}

export function error(status: number, message: string, headers: Record<string, string> = {}): ScriptedResponse {
  return {body: {documentation_url: 'https://docs.github.com/rest', message, status: String(status)}, headers, status}
}
