/**
 * Fair share between users (issue 12), by stride scheduling: every user has a `pass` (its
 * virtual time) that each assignment of one of its tasks advances by `1 / weight`. Among
 * users queued at the same priority the lowest pass goes next, so over many assignments
 * users get shares in proportion to their weights — whatever the number of tasks each has
 * queued. A user coming back from idle starts at the current virtual time (the pass of the
 * last assignment), so idleness earns no burst of credit. All O(1) per call.
 */
export class FairShare {
  private readonly users = new Map<string, UserShare>();
  /** The pass of the latest assignment: where a user returning from idle starts. */
  private virtualTime = 0;
  private weights = new Map<string, number>();

  /** The pass that orders the user's tasks now. */
  passOf(owner: string): number {
    return this.users.get(owner)?.pass ?? this.virtualTime;
  }

  /** The user has one more task in the index. */
  joined(owner: string): void {
    let share = this.users.get(owner);
    if (share === undefined) {
      share = { pass: this.virtualTime, queued: 0 };
      this.users.set(owner, share);
    } else if (share.queued === 0) share.pass = Math.max(share.pass, this.virtualTime);
    share.queued++;
  }

  /** The user has one task fewer in the index (assigned, cancelled, deleted…). */
  left(owner: string): void {
    const share = this.users.get(owner);
    if (share === undefined) return;
    share.queued--;
    // Forgetting idle users keeps the map as small as the set of queued users.
    if (share.queued <= 0 && share.pass <= this.virtualTime) this.users.delete(owner);
  }

  /** One of the user's tasks was assigned: its pass moves on by its stride. */
  charge(owner: string): void {
    const share = this.users.get(owner);
    if (share === undefined) return;
    this.virtualTime = Math.max(this.virtualTime, share.pass);
    share.pass += 1 / this.weightOf(owner);
  }

  weightOf(owner: string): number {
    return this.weights.get(owner) ?? 1;
  }

  /** Replaces the weights (users not named weigh 1). */
  setWeights(weights: ReadonlyMap<string, number>): void {
    this.weights = new Map(weights);
  }
}

interface UserShare {
  pass: number;
  /** Its tasks in the index. */
  queued: number;
}
