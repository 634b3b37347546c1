import { statfsSync } from 'node:fs';
import type { Logger } from '@kolejka/spec';

/** Free space the temp disk needs again, after it filled up, before new tasks are taken. */
export const ROOM_BYTES = 16 * 1024 * 1024;
/** … or this share of the disk, when the disk is small (a tmpfs of a few MiB). */
const ROOM_RATIO = 0.25;

/**
 * The foreman's view of its `--temp` disk. Once a write there failed for lack of space, no
 * task is taken until the disk has room again (ROOM_BYTES free, or a quarter of a small
 * disk): a task the foreman cannot hold the output of would only fail again here.
 */
export class TempDisk {
  private isFull = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** A write in the temp dir failed with ENOSPC (or EDQUOT). */
  markFull(): void {
    if (!this.isFull)
      this.logger.warn('the temp disk is full; no new tasks until it has room', { dir: this.dir });
    this.isFull = true;
  }

  /** Why no task can be taken now, or undefined when there is room. */
  refusal(): string | undefined {
    if (!this.isFull) return undefined;
    let free: number;
    let size: number;
    try {
      const stats = statfsSync(this.dir);
      free = stats.bavail * stats.bsize;
      size = stats.blocks * stats.bsize;
    } catch {
      return 'the foreman cannot check its temp disk';
    }
    if (free >= Math.min(ROOM_BYTES, size * ROOM_RATIO)) {
      this.isFull = false;
      this.logger.info('the temp disk has room again; taking tasks', {
        dir: this.dir,
        freeBytes: free,
      });
      return undefined;
    }
    return `disk_full: the foreman's temp disk is full (${free} bytes free)`;
  }
}
