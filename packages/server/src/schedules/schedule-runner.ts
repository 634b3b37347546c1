import { noopLogger, type Logger } from '@kolejka/spec';
import { newUuidHex } from '../accounts/tokens.js';
import type { FireOutcome, ScheduleRecord, Store, TaskRecord } from '../store/store.js';
import { scheduleTiming } from './schedule-timing.js';

/** The timer functions the runner arms (tests pass fakes). */
export interface RunnerTimers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export interface ScheduleRunnerOptions {
  store: Store;
  clock: () => Date;
  settings: {
    /** `maxAttempts` of the tasks it submits. */
    maxAttempts: number;
    /** A tick missed (no server ran) at most this long ago fires once on start. */
    scheduleCatchUpMs: number;
    /** How often the schedules are re-read (changes made by other server processes). */
    schedulePollMs: number;
  };
  /** Told every firing and skip (metrics). */
  onOutcome?: (outcome: FireOutcome['outcome']) => void;
  logger?: Logger;
  timers?: RunnerTimers;
}

/** What one pass did. */
export interface RunnerPass {
  fired: TaskRecord[];
  skipped: ScheduleRecord[];
  /** The earliest tick still to come (undefined: none). */
  nextDueAt: Date | undefined;
}

const REAL_TIMERS: RunnerTimers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Fires the schedules of the store. Every server process runs one: each pass reads the
 * active schedules, fires the ticks that are due through the store's claim
 * (`fireSchedule`, so racing processes fire a tick once) and sleeps until the earliest next
 * tick — or the poll interval, to see schedules created, paused or removed elsewhere;
 * `notifyChanged` re-arms it at once for changes made in this process.
 */
export class ScheduleRunner {
  readonly #options: ScheduleRunnerOptions;
  readonly #timers: RunnerTimers;
  readonly #logger: Logger;
  #timer: unknown;
  #pass: Promise<unknown> | undefined;
  #isRerunWanted = false;
  #isStarted = false;
  #isClosed = false;

  constructor(options: ScheduleRunnerOptions) {
    this.#options = options;
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#logger = options.logger ?? noopLogger;
  }

  /** Runs a first pass now (the catch-up of ticks missed while no server ran), then on its own. */
  start(): void {
    if (this.#isStarted || this.#isClosed) return;
    this.#isStarted = true;
    this.#arm(0);
  }

  /** A schedule changed in this process: pass again now. */
  notifyChanged(): void {
    if (!this.#isStarted || this.#isClosed) return;
    if (this.#pass !== undefined) this.#isRerunWanted = true;
    else this.#arm(0);
  }

  #arm(delayMs: number): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#runAndRearm();
    }, delayMs);
  }

  #runAndRearm(): void {
    const { schedulePollMs } = this.#options.settings;
    this.#pass = this.runDue()
      .then((pass) => {
        if (pass.nextDueAt === undefined) return schedulePollMs;
        return Math.min(schedulePollMs, pass.nextDueAt.getTime() - this.#options.clock().getTime());
      })
      .catch((error: unknown) => {
        if (!this.#isClosed)
          this.#logger.error('schedules could not be fired', { error: (error as Error).message });
        return schedulePollMs;
      })
      .then((delayMs) => {
        this.#pass = undefined;
        if (this.#isClosed) return;
        const rerun = this.#isRerunWanted;
        this.#isRerunWanted = false;
        // Past ticks left (a failed claim): not a busy loop, a short pause.
        this.#arm(rerun ? 0 : Math.max(10, delayMs));
      });
  }

  /** One pass at `clock()`: fires what is due, tells what comes next. */
  async runDue(): Promise<RunnerPass> {
    const { store, clock, settings } = this.#options;
    const schedules = await store.listSchedules({ isPaused: false });
    const pass: RunnerPass = { fired: [], skipped: [], nextDueAt: undefined };
    const later = (at: Date | undefined): void => {
      if (at !== undefined && (pass.nextDueAt === undefined || at < pass.nextDueAt))
        pass.nextDueAt = at;
    };
    for (const schedule of schedules) {
      if (this.#isClosed) break;
      const now = clock();
      let timing;
      try {
        timing = scheduleTiming(schedule, now, settings.scheduleCatchUpMs);
      } catch (error) {
        // Checked at creation; a zone this Node no longer knows must not stop the others.
        this.#logger.warn('schedule cannot be computed', {
          schedule: schedule.id,
          error: (error as Error).message,
        });
        continue;
      }
      if (timing.kind === 'wait') {
        later(timing.at);
        continue;
      }
      // A removed user's schedules stay (as its tasks do) but submit nothing in its name.
      if ((await store.getUser(schedule.owner)) === undefined) {
        this.#logger.warn('schedule not fired: its owner does not exist', {
          schedule: schedule.id,
          owner: schedule.owner,
        });
        continue;
      }
      const outcome = await store.fireSchedule(
        schedule.id,
        timing.tick,
        this.#taskOf(schedule, now),
        now,
      );
      this.#options.onOutcome?.(outcome.outcome);
      if (outcome.outcome === 'fired') {
        pass.fired.push(outcome.task);
        this.#logger.info('schedule fired', {
          schedule: schedule.id,
          tick: timing.tick.toISOString(),
          task: outcome.task.key,
        });
      } else if (outcome.outcome === 'skipped') {
        pass.skipped.push(outcome.schedule);
        this.#logger.info('schedule tick skipped: its last task has not ended', {
          schedule: schedule.id,
          tick: timing.tick.toISOString(),
          lastTask: outcome.schedule.lastTaskKey,
        });
      }
      if (outcome.outcome !== 'not_found') {
        const after = scheduleTiming(outcome.schedule, now, settings.scheduleCatchUpMs);
        later(after.kind === 'wait' ? after.at : now);
      }
    }
    return pass;
  }

  #taskOf(schedule: ScheduleRecord, now: Date): TaskRecord {
    const key = newUuidHex();
    return {
      key,
      owner: schedule.owner,
      spec: { ...schedule.spec, id: key },
      state: 'queued',
      priority: schedule.priority,
      attempt: 0,
      lostCount: 0,
      maxAttempts: this.#options.settings.maxAttempts,
      createdAt: now,
      updatedAt: now,
      schedule: schedule.id,
    };
  }

  /** Stops the timer and waits for a pass in progress; idempotent. */
  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }
}
