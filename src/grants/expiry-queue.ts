// A min-heap of items by expiry. The owner marks ended items and skips them
// when they surface (lazy deletion), which keeps every operation O(log n)
// without an index into the heap.
export class ExpiryQueue<Item extends { readonly expiresAt: number }> {
  readonly #heap: Item[] = []

  get size(): number {
    return this.#heap.length
  }

  push(item: Item): void {
    const heap = this.#heap
    heap.push(item)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (heap[parent]!.expiresAt <= heap[index]!.expiresAt) break
      ;[heap[parent], heap[index]] = [heap[index]!, heap[parent]!]
      index = parent
    }
  }

  peek(): Item | undefined {
    return this.#heap[0]
  }

  pop(): Item | undefined {
    const heap = this.#heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      let index = 0
      for (;;) {
        const left = index * 2 + 1
        const right = left + 1
        let smallest = index
        if (left < heap.length && heap[left]!.expiresAt < heap[smallest]!.expiresAt) smallest = left
        if (right < heap.length && heap[right]!.expiresAt < heap[smallest]!.expiresAt) smallest = right
        if (smallest === index) break
        ;[heap[smallest], heap[index]] = [heap[index]!, heap[smallest]!]
        index = smallest
      }
    }
    return top
  }
}
