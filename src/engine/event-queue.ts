/**
 * The engine's event queue: a binary min-heap ordered by (at, seq). `seq` is the insertion sequence,
 * so events due at the same virtual millisecond run in the order they were scheduled: a total order,
 * independent of the heap's internal layout.
 *
 * Cancellation is lazy: a cancelled event stays in the heap and is skipped when it reaches the top.
 * That keeps cancel O(1), which matters for the many ack and read timers that are re-armed per stanza.
 */
export interface QueuedEvent {
  readonly at: number;
  readonly seq: number;
  cancelled: boolean;
  fire(): void;
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class EventQueue {
  private readonly heap: QueuedEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: QueuedEvent): void {
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  peek(): QueuedEvent | undefined {
    return this.heap[0];
  }

  pop(): QueuedEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) this.siftDown(last);
    return top;
  }

  private siftDown(event: QueuedEvent): void {
    const heap = this.heap;
    const length = heap.length;
    let index = 0;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= length) break;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (rightIndex < length && before(heap[rightIndex]!, heap[leftIndex]!)) childIndex = rightIndex;
      const child = heap[childIndex]!;
      if (!before(child, event)) break;
      heap[index] = child;
      index = childIndex;
    }
    heap[index] = event;
  }
}
