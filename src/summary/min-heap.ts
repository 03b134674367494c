// A binary min-heap of objects that know their own slot, so an item whose weight
// grew can be moved in O(log n): what Space-Saving needs to find and replace its
// smallest counter (Metwally et al., "Efficient computation of frequent and top-k
// elements in data streams", 2005).

export interface HeapItem {
  /** Its index in the heap's array; kept up to date by the heap. */
  slot: number
}

export class MinHeap<T extends HeapItem> {
  private readonly items: T[]

  /** Builds a heap of `items` in O(n), ordered by `weight`. */
  constructor(items: T[], private readonly weight: (item: T) => number) {
    this.items = items
    for (let i = 0; i < items.length; i++) items[i].slot = i
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  get size(): number {
    return this.items.length
  }

  /** The lightest item. */
  peek(): T {
    return this.items[0]
  }

  /** Moves an item whose weight only grew to its place. */
  increased(item: T): void {
    this.down(item.slot)
  }

  private down(i: number): void {
    const {items, weight} = this
    const n = items.length
    const item = items[i]
    const w = weight(item)
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && weight(items[r]) < weight(items[l]) ? r : l
      if (weight(items[c]) >= w) break
      items[i] = items[c]
      items[i].slot = i
      i = c
    }
    items[i] = item
    item.slot = i
  }
}
