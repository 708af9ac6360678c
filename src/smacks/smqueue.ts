/**
 * Port of Prosody 0.12.3 util/smqueue.lua over util/queue.lua with allow_wrapping: a ring of
 * `capacity` items with absolute counters. `head` counts every stanza ever pushed, `tail` every
 * stanza acknowledged. When the ring is full a push silently discards the oldest buffered item, so
 * `countUnacked()` can exceed what is buffered; `resumable()` tells whether anything unacked was lost.
 */
import { assert } from '../engine/assert.js';

export type AckError = 'head' | 'tail';

export class SmQueue<T> {
  private head = 0;
  private tail = 0;
  private readonly ring: (T | undefined)[];
  /** Ring index of the oldest buffered item. */
  private oldest = 0;
  private buffered = 0;

  /** smqueue.new(size): `assert(size > 0)`. */
  constructor(readonly capacity: number, private readonly onDiscard?: (item: T) => void) {
    assert(capacity > 0 && Number.isInteger(capacity), `smqueue capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<T | undefined>(Math.min(capacity, 64));
  }

  /** smqueue:push — util.queue wraps over the oldest item when full. */
  push(item: T): void {
    this.head++;
    if (this.buffered >= this.capacity) {
      const discarded = this.ring[this.oldest]!;
      this.ring[this.oldest] = undefined;
      this.oldest = (this.oldest + 1) % this.ring.length;
      this.buffered--;
      this.onDiscard?.(discarded);
    }
    if (this.buffered === this.ring.length && this.ring.length < this.capacity) this.grow();
    this.ring[(this.oldest + this.buffered) % this.ring.length] = item;
    this.buffered++;
  }

  /** The backing array grows on demand up to `capacity`, so idle sessions stay small. */
  private grow(): void {
    const size = this.ring.length;
    const next = Math.min(size * 2, this.capacity);
    const items: (T | undefined)[] = [];
    for (let index = 0; index < this.buffered; index++) items.push(this.ring[(this.oldest + index) % size]);
    this.ring.length = next;
    for (let index = 0; index < next; index++) this.ring[index] = index < items.length ? items[index] : undefined;
    this.oldest = 0;
  }

  /**
   * smqueue:ack(h): "tail" if h is below what was already acknowledged, "head" if above what was
   * sent; otherwise drops acknowledged items and returns them (oldest first).
   */
  ack(h: number): T[] | AckError {
    if (h < this.tail) return 'tail';
    if (h > this.head) return 'head';
    this.tail = h;
    const expect = this.head - this.tail;
    const acked: T[] = [];
    while (expect < this.buffered) acked.push(this.popOldest());
    return acked;
  }

  /**
   * BUG M-1 (a switch of core-0.12; the community module's arithmetic, spec §15 M-1): accept an h
   * below the tail. Both counters move back by the difference, as community's
   * `last_acknowledged_stanza` does, so the buffered items are numbered from h + 1 again and the next
   * ack removes that many more of them than it acknowledges. Nothing is removed now.
   */
  rewind(h: number): T[] {
    assert(h < this.tail, `rewind(${h}) is only for an h below the tail (${this.tail})`);
    this.head -= this.tail - h;
    this.tail = h;
    return [];
  }

  private popOldest(): T {
    const size = this.ring.length;
    const item = this.ring[this.oldest]!;
    this.ring[this.oldest] = undefined;
    this.oldest = (this.oldest + 1) % size;
    this.buffered--;
    return item;
  }

  countUnacked(): number {
    return this.head - this.tail;
  }

  countAcked(): number {
    return this.tail;
  }

  /** Items actually held (≤ countUnacked after an overflow). */
  countBuffered(): number {
    return this.buffered;
  }

  resumable(): boolean {
    return this.buffered >= this.head - this.tail;
  }

  /** smqueue:resume() / :table(): buffered items, oldest first. */
  items(): T[] {
    const size = this.ring.length;
    const out: T[] = [];
    for (let index = 0; index < this.buffered; index++) out.push(this.ring[(this.oldest + index) % size]!);
    return out;
  }

  /** smqueue:consume(): pop everything buffered. */
  consume(): T[] {
    const out = this.items();
    while (this.buffered > 0) this.popOldest();
    return out;
  }
}
