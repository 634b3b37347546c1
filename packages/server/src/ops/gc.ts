import { noopLogger, type Logger } from '@kolejka/spec';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Store } from '../store/store.js';

export interface GcOptions {
  store: Store;
  blobs: BlobStore;
  /**
   * Blobs put, and temp files written, more recently than this are never collected: an upload
   * whose reference is not written yet stays safe. Must exceed the longest upload. Default 1 h.
   */
  graceMs?: number;
  /** Events older than this are pruned. Default 7 days. */
  eventRetentionMs?: number;
  /** Also walk the blob store for content that has no record (left by crashes). Default true. */
  shouldSweepOrphans?: boolean;
  /** How many candidates to handle per round. Default 500. */
  batchSize?: number;
  /** The current time (tests move it). Default: the clock. */
  now?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface GcReport {
  /** Blob records removed (nothing named them). */
  blobRecordsRemoved: number;
  /** Contents deleted: of those records, plus orphans. */
  blobsDeleted: number;
  /** Bytes those contents held. */
  bytesFreed: number;
  /** Contents that had no record at all (included in `blobsDeleted`). */
  orphansDeleted: number;
  /** Leftovers of dead uploads removed. */
  tempFilesRemoved: number;
  sessionsRemoved: number;
  eventsRemoved: number;
}

/**
 * `kolejka-server gc`: removes blobs that no reference, task file or result file names,
 * records first and bytes second — a crash in between leaves only content without a record,
 * which the orphan sweep of a later run deletes, never a record without content. Blobs put
 * within the grace period are kept; so is content an upload deduplicates against meanwhile.
 */
export async function collectGarbage(options: GcOptions): Promise<GcReport> {
  const { store, blobs, signal } = options;
  const logger = options.logger ?? noopLogger;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - (options.graceMs ?? 60 * 60 * 1000));
  const batchSize = options.batchSize ?? 500;
  const report: GcReport = {
    blobRecordsRemoved: 0,
    blobsDeleted: 0,
    bytesFreed: 0,
    orphansDeleted: 0,
    tempFilesRemoved: 0,
    sessionsRemoved: 0,
    eventsRemoved: 0,
  };

  for (;;) {
    signal?.throwIfAborted();
    const candidates = await store.listUnreferencedBlobs(batchSize, cutoff);
    let removedThisRound = 0;
    for (const blob of candidates) {
      signal?.throwIfAborted();
      // Re-checked atomically: a reference written since the listing keeps the blob.
      if (!(await store.removeBlobIfUnreferenced(blob.hash))) continue;
      report.blobRecordsRemoved++;
      removedThisRound++;
      if (await blobs.deleteIfStale(blob.hash, cutoff)) {
        report.blobsDeleted++;
        report.bytesFreed += blob.size;
      }
    }
    // A short batch was the last; a batch of which nothing could be removed would repeat.
    if (candidates.length < batchSize || removedThisRound === 0) break;
  }

  if (options.shouldSweepOrphans ?? true)
    for await (const stored of blobs.list(signal)) {
      if (stored.modifiedAt >= cutoff) continue;
      if ((await store.getBlob(stored.hash)) !== undefined) continue;
      if (await blobs.deleteIfStale(stored.hash, cutoff)) {
        report.orphansDeleted++;
        report.blobsDeleted++;
        report.bytesFreed += stored.size;
      }
    }

  report.tempFilesRemoved = await blobs.sweepTemp(cutoff);
  report.sessionsRemoved = await store.deleteExpiredSessions(now);
  report.eventsRemoved = await store.deleteEventsBefore(
    new Date(now.getTime() - (options.eventRetentionMs ?? 7 * 24 * 60 * 60 * 1000)),
  );
  logger.info('gc finished', { ...report });
  return report;
}
