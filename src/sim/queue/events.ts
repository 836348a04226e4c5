/** The queue model's pending events, by time: a batch completes, a visibility timeout ends, a batching window closes. */

export const EVENT_COMPLETE = 0;
export const EVENT_EXPIRE = 1;
export const EVENT_WINDOW = 2;

/** A binary min-heap of (time, kind, a, b) events; ties leave in insertion order. */
export class EventHeap {
  clone(): EventHeap {
    const copy = new EventHeap();
    copy.times = this.times.slice();
    copy.seqs = this.seqs.slice();
    copy.kinds = this.kinds.slice();
    copy.as = this.as.slice();
    copy.bs = this.bs.slice();
    copy.seq = this.seq;
    return copy;
  }

  private times: number[] = [];
  private seqs: number[] = [];
  private kinds: number[] = [];
  private as: number[] = [];
  private bs: number[] = [];
  private seq = 0;

  peekTime(): number {
    return this.times.length ? this.times[0]! : Infinity;
  }

  push(time: number, kind: number, a: number, b: number): void {
    let i = this.times.length;
    const seq = this.seq++;
    this.times.push(time);
    this.seqs.push(seq);
    this.kinds.push(kind);
    this.as.push(a);
    this.bs.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(time, seq, this.times[parent]!, this.seqs[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, seq, kind, a, b);
  }

  /** The last popped event's kind and values (pop() allocates nothing). */
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;

  pop(): void {
    this.poppedKind = this.kinds[0]!;
    this.poppedA = this.as[0]!;
    this.poppedB = this.bs[0]!;
    const last = this.times.length - 1;
    const time = this.times[last]!;
    const seq = this.seqs[last]!;
    const kind = this.kinds[last]!;
    const a = this.as[last]!;
    const b = this.bs[last]!;
    this.times.pop();
    this.seqs.pop();
    this.kinds.pop();
    this.as.pop();
    this.bs.pop();
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.less(this.times[right]!, this.seqs[right]!, this.times[left]!, this.seqs[left]!) ? right : left;
      if (!this.less(this.times[child]!, this.seqs[child]!, time, seq)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, time, seq, kind, a, b);
  }

  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }

  private move(from: number, to: number): void {
    this.set(to, this.times[from]!, this.seqs[from]!, this.kinds[from]!, this.as[from]!, this.bs[from]!);
  }

  private set(i: number, time: number, seq: number, kind: number, a: number, b: number): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
  }
}
