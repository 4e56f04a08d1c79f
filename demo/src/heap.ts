/** A binary min-heap that remembers where each item sits, so any item can be removed in O(log n), not only the top. */
export class IndexedMinHeap<T> {
  private readonly items: T[] = []
  private readonly positions = new Map<T, number>()

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  /** Adds the item unless it is already in the heap. */
  push(item: T): void {
    if (this.positions.has(item)) return
    this.items.push(item)
    this.positions.set(item, this.items.length - 1)
    this.siftUp(this.items.length - 1)
  }

  remove(item: T): boolean {
    const index = this.positions.get(item)
    if (index === undefined) return false
    const last = this.items.pop()!
    this.positions.delete(item)
    if (index < this.items.length) {
      this.place(last, index)
      this.siftDown(index)
      this.siftUp(index)
    }

    return true
  }

  private siftUp(index: number): void {
    const item = this.items[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = this.items[parentIndex]!
      if (!this.less(item, parent)) break
      this.place(parent, index)
      index = parentIndex
    }

    this.place(item, index)
  }

  private siftDown(index: number): void {
    const item = this.items[index]!
    const {length} = this.items
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && this.less(this.items[right]!, this.items[left]!) ? right : left
      if (!this.less(this.items[child]!, item)) break
      this.place(this.items[child]!, index)
      index = child
    }

    this.place(item, index)
  }

  private place(item: T, index: number): void {
    this.items[index] = item
    this.positions.set(item, index)
  }
}
