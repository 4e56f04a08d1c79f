import {IndexedMinHeap} from './heap.js'

export const CAPABILITIES = ['cpu', 'memory', 'storage', 'network', 'gpu'] as const
export type Capability = (typeof CAPABILITIES)[number]

/** How often an agent has each capability besides cpu, which every agent has. */
const CAPABILITY_ODDS: Record<Exclude<Capability, 'cpu'>, number> = {gpu: 0.1, memory: 0.5, network: 0.3, storage: 0.3}

interface Agent {
  id: string
  /** Position in the pool: breaks ties so allocation order is deterministic for a seed. */
  index: number
  capabilities: Capability[]
  /** Allocations this agent has taken so far: its load, which the allocator keeps even across the fleet. */
  assignments: number
  allocationId?: string
}

export interface Allocation {
  allocationId: string
  agentId: string
  /** Epoch ms. */
  allocatedAt: number
}

export interface FleetSummary {
  poolSize: number
  allocated: number
  available: number
  capabilities: Record<Capability, {agents: number; available: number}>
}

export function isCapability(value: unknown): value is Capability {
  return (CAPABILITIES as readonly unknown[]).includes(value)
}

/** A pool of agents; allocation hands out the least-loaded free agent that has the wanted capability. */
export class Fleet {
  allocationsTotal = 0
  releasesTotal = 0
  /** Requests refused because no matching agent was free. */
  exhaustedTotal = 0
  private readonly agents: Agent[]
  /**
   * Free agents per capability ('any' holds all of them), each ordered by load: an agent sits in one heap per
   * capability.
   */
  private readonly free = new Map<Capability | 'any', IndexedMinHeap<Agent>>()
  private readonly allocations = new Map<string, Agent>()
  /** Agents per capability; fixed once the pool exists. */
  private readonly agentsWith: Record<Capability, number>
  private nextAllocation = 1

  constructor(poolSize: number, seed: number) {
    const random = mulberry32(seed)
    const lessLoaded = (a: Agent, b: Agent) =>
      a.assignments < b.assignments || (a.assignments === b.assignments && a.index < b.index)
    for (const key of ['any', ...CAPABILITIES] as const) this.free.set(key, new IndexedMinHeap(lessLoaded))
    this.agents = Array.from({length: poolSize}, (_, index) => ({
      assignments: 0,
      capabilities: ['cpu', ...CAPABILITIES.filter((c) => c !== 'cpu' && random() < CAPABILITY_ODDS[c])],
      id: `agent-${index + 1}`,
      index,
    }))
    for (const agent of this.agents) this.markFree(agent)
    this.agentsWith = Object.fromEntries(CAPABILITIES.map((c) => [c, this.free.get(c)!.size])) as Record<
      Capability,
      number
    >
  }

  /** Undefined when no free agent has the capability. */
  allocate(capability?: Capability): Allocation | undefined {
    const agent = this.free.get(capability ?? 'any')!.peek()
    if (!agent) {
      this.exhaustedTotal++
      return undefined
    }

    for (const key of this.keysOf(agent)) this.free.get(key)!.remove(agent)
    const allocationId = `alloc-${this.nextAllocation++}`
    agent.allocationId = allocationId
    agent.assignments++
    this.allocations.set(allocationId, agent)
    this.allocationsTotal++
    return {agentId: agent.id, allocatedAt: Date.now(), allocationId}
  }

  /** False when the allocation is unknown (never made, or already released). */
  release(allocationId: string): boolean {
    const agent = this.allocations.get(allocationId)
    if (!agent) return false
    this.allocations.delete(allocationId)
    agent.allocationId = undefined
    this.markFree(agent)
    this.releasesTotal++
    return true
  }

  summary(): FleetSummary {
    const capabilities = Object.fromEntries(
      CAPABILITIES.map((c) => [c, {agents: this.agentsWith[c], available: this.free.get(c)!.size}]),
    ) as FleetSummary['capabilities']
    return {
      allocated: this.allocations.size,
      available: this.free.get('any')!.size,
      capabilities,
      poolSize: this.agents.length,
    }
  }

  private markFree(agent: Agent): void {
    for (const key of this.keysOf(agent)) this.free.get(key)!.push(agent)
  }

  private keysOf(agent: Agent): Array<Capability | 'any'> {
    return ['any', ...agent.capabilities]
  }
}

/** A small seeded PRNG: the same --seed gives the same fleet. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d_2b_79_f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
