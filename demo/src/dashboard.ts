import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'

import {WebSocket, WebSocketServer} from 'ws'

import type {CacheStats} from './cache.js'
import type {FleetSummary} from './fleet.js'
import type {SwarmsSummary} from './swarms.js'

export const DASHBOARD_WS_PATH = '/dashboard/ws'
/** A subscriber with this much unsent data skips updates until it catches up: a slow consumer costs bounded memory. */
const MAX_BUFFERED_BYTES = 256 * 1024
const CLOSE_WAIT_MS = 1000

export interface DashboardState {
  fleet: FleetSummary
  swarms: SwarmsSummary
  cache: CacheStats
}

export interface DashboardOptions {
  updateIntervalMs: number
  /** Added before each push is sent, as for every dashboard response. */
  addedLatencyMs: number
}

/** The live view: snapshots on request, and one update per interval pushed to every WebSocket subscriber. */
export class Dashboard {
  updatesSent = 0
  updatesDropped = 0
  /** One sequence for every state generated, snapshot or push, so a client sees it only grow. */
  private seq = 0
  private readonly wss = new WebSocketServer({maxPayload: 4096, noServer: true})
  private readonly timer: NodeJS.Timeout
  private readonly pending = new Set<NodeJS.Timeout>()

  constructor(
    private readonly state: () => DashboardState,
    private readonly options: DashboardOptions,
  ) {
    this.timer = setInterval(() => this.push(), options.updateIntervalMs)
  }

  get subscribers(): number {
    return this.wss.clients.size
  }

  snapshot(): {generatedAt: number; seq: number} & DashboardState {
    return {generatedAt: Date.now(), seq: ++this.seq, ...this.state()}
  }

  subscribe(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      // Subscribers only listen; a client error just ends that subscription.
      ws.on('error', () => ws.terminate())
      this.wss.emit('connection', ws, request)
    })
  }

  /** Says goodbye to every subscriber, and cuts off those that do not answer within CLOSE_WAIT_MS. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    for (const timer of this.pending) clearTimeout(timer)
    const clients = [...this.wss.clients]
    const closed = clients.map((ws) => new Promise((resolve) => ws.once('close', resolve)))
    for (const ws of clients) ws.close(1001, 'server shutting down')
    await Promise.race([Promise.all(closed), sleep(CLOSE_WAIT_MS, undefined, {ref: false})])
    for (const ws of clients) ws.terminate()
    this.wss.close()
  }

  private push(): void {
    if (this.wss.clients.size === 0) return
    // The state is read and stamped now; --added-latency delays only its delivery, which is what a client measures.
    const data = JSON.stringify({type: 'update', serverTime: Date.now(), seq: ++this.seq, ...this.state()})
    if (this.options.addedLatencyMs === 0) return this.broadcast(data)
    const timer = setTimeout(() => {
      this.pending.delete(timer)
      this.broadcast(data)
    }, this.options.addedLatencyMs)
    this.pending.add(timer)
  }

  /** One serialized message for all subscribers. */
  private broadcast(data: string): void {
    for (const ws of this.wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.updatesDropped++
        continue
      }

      ws.send(data)
      this.updatesSent++
    }
  }
}
