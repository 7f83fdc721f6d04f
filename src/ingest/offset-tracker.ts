/**
 * Per partition: which offsets are in flight and which are done. Messages of different orders
 * finish out of order, but the committable position only ever advances over a contiguous run of
 * done offsets, so a commit never covers a message Temporal has not accepted.
 */
export class OffsetTracker {
  private readonly inFlight: { offset: bigint; done: boolean }[] = [];
  private next: bigint | undefined;

  begin(offset: string): void {
    this.inFlight.push({ offset: BigInt(offset), done: false });
  }

  complete(offset: string): void {
    const target = BigInt(offset);
    const entry = this.inFlight.find((candidate) => candidate.offset === target);
    if (entry) entry.done = true;
    while (this.inFlight[0]?.done) this.next = this.inFlight.shift()!.offset + 1n;
  }

  /** The offset to commit (the next one to read), or undefined if nothing was completed yet. */
  committable(): string | undefined {
    return this.next === undefined ? undefined : this.next.toString();
  }
}
