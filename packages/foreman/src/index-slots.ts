/**
 * Which of `size` indexes (CPUs or GPUs) are busy. A task gets `count` consecutive indexes
 * from an offset, wrapping around the end, because that is what the worker's placement
 * (`cpus_offset`, `gpus_offset`) can express; concurrent tasks get disjoint sets.
 */
export class IndexSlots {
  private readonly busy: boolean[];

  constructor(readonly size: number) {
    this.busy = Array.from({ length: size }, () => false);
  }

  get freeCount(): number {
    return this.busy.filter((isBusy) => !isBusy).length;
  }

  /**
   * The offset of `count` consecutive free indexes, or undefined when there is no such run.
   * Best fit: the smallest free run that holds the task (ties: the lowest offset), so big
   * runs stay whole for big tasks.
   */
  find(count: number): number | undefined {
    if (count <= 0) return 0;
    if (count > this.size) return undefined;
    const runs = this.freeRuns();
    let best: { start: number; length: number } | undefined;
    for (const run of runs) {
      if (run.length < count) continue;
      if (best === undefined || run.length < best.length) best = run;
    }
    if (best === undefined) return undefined;
    // Inside the run, avoid wrapping when it can be avoided (a cpuset "3,0" reads oddly).
    const wrapped = best.start + best.length - this.size;
    if (wrapped >= count) return 0;
    return best.start;
  }

  take(offset: number, count: number): number[] {
    const indexes = this.indexes(offset, count);
    for (const index of indexes) {
      if (this.busy[index] === true) throw new Error(`index ${index} is already taken`);
    }
    for (const index of indexes) this.busy[index] = true;
    return indexes;
  }

  release(indexes: readonly number[]): void {
    for (const index of indexes) this.busy[index] = false;
  }

  indexes(offset: number, count: number): number[] {
    return Array.from({ length: Math.min(count, this.size) }, (_, i) => (offset + i) % this.size);
  }

  /** Maximal runs of free indexes, a run crossing the end joined with the one at the start. */
  private freeRuns(): { start: number; length: number }[] {
    const size = this.size;
    if (this.busy.every((isBusy) => !isBusy)) return size === 0 ? [] : [{ start: 0, length: size }];
    // Start scanning right after a busy index, so a run that wraps is seen whole.
    const firstBusy = this.busy.indexOf(true);
    const runs: { start: number; length: number }[] = [];
    let current: { start: number; length: number } | undefined;
    for (let step = 1; step <= size; step++) {
      const index = (firstBusy + step) % size;
      if (this.busy[index] === true) {
        if (current !== undefined) runs.push(current);
        current = undefined;
      } else if (current === undefined) current = { start: index, length: 1 };
      else current.length += 1;
    }
    if (current !== undefined) runs.push(current);
    return runs.sort((a, b) => a.start - b.start);
  }
}
