import {createHash} from 'node:crypto'

/** Keys the backing store holds at most, so a write-heavy workload cannot exhaust memory. */
export const MAX_STORED_ITEMS = 100_000

export interface CacheStats {
  capacity: number
  entries: number
  hits: number
  misses: number
  evictions: number
  /** hits / (hits + misses); null before the first lookup. */
  hitRate: number | null
}

export type CacheRead = {found: false; hit: false} | {found: true; hit: boolean; value: unknown}

/**
 * Bounded least-recently-used map: a Map iterates in insertion order, so re-inserting on every hit leaves the LRU key
 * first.
 */
export class LruCache<V> {
  evictions = 0
  private readonly entries = new Map<string, V>()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break
      this.entries.delete(oldest)
      this.evictions++
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }
}

/**
 * The slow-ish store behind the cache: values live serialized with a checksum that every read verifies — a small, real
 * cost per access.
 */
export class ItemStore {
  private readonly items = new Map<string, {json: string; sha256: string}>()

  get size(): number {
    return this.items.size
  }

  get(key: string): {value: unknown} | undefined {
    const item = this.items.get(key)
    if (!item) return undefined
    if (digest(item.json) !== item.sha256) throw new Error(`stored item ${key} is corrupt`)
    return {value: JSON.parse(item.json)}
  }

  /** False when the store is full and the key is new. */
  set(key: string, value: unknown): boolean {
    if (!this.items.has(key) && this.items.size >= MAX_STORED_ITEMS) return false
    const json = JSON.stringify(value)
    this.items.set(key, {json, sha256: digest(json)})
    return true
  }
}

/** Cache-aside: reads fill the LRU from the store, writes go to the store and invalidate the cached copy. */
export class ItemCache {
  hits = 0
  misses = 0
  private readonly lru: LruCache<{value: unknown}>
  private readonly store = new ItemStore()

  constructor(capacity: number) {
    this.lru = new LruCache(capacity)
  }

  read(key: string): CacheRead {
    const cached = this.lru.get(key)
    if (cached) {
      this.hits++
      return {found: true, hit: true, value: cached.value}
    }

    this.misses++
    const stored = this.store.get(key)
    if (!stored) return {found: false, hit: false}
    this.lru.set(key, stored)
    return {found: true, hit: false, value: stored.value}
  }

  /** False when the store is full. */
  write(key: string, value: unknown): boolean {
    if (!this.store.set(key, value)) return false
    this.lru.delete(key)
    return true
  }

  stats(): CacheStats {
    const lookups = this.hits + this.misses
    return {
      capacity: this.lru.capacity,
      entries: this.lru.size,
      evictions: this.lru.evictions,
      hitRate: lookups === 0 ? null : this.hits / lookups,
      hits: this.hits,
      misses: this.misses,
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64')
}
