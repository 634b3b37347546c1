import type { Readable } from 'node:stream';

/**
 * Content-addressed blob storage (SHA-256). Two implementations: a directory (embedded
 * default: `<dir>/blob/ab/cd/ef/<rest of hash>`, uploads written to `<dir>/temp/` then
 * renamed) and MongoDB GridFS. Content is always streamed, never held whole in memory.
 * The Store keeps the blob *records* (size, references); this keeps the bytes.
 */
export interface PutBlobOptions {
  /** When given, the upload is refused (KOLEJKA_VALIDATION, nothing kept) unless the content hashes to it. */
  expectedHash?: string;
  /** Refuse (KOLEJKA_TOO_LARGE) once more than this many bytes arrived. */
  maxBytes?: number;
  /** Aborting stops reading, destroys `content` and rejects (KOLEJKA_CANCELLED, or the abort reason when it is a KolejkaError). */
  signal?: AbortSignal;
}

export interface PutBlobResult {
  hash: string;
  size: number;
  /** False when the content was already stored (deduplicated; the upload was discarded). */
  isNew: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/** One stored blob, as `list` reports it. */
export interface StoredBlob {
  hash: string;
  size: number;
  /** When the content was stored or last deduplicated against (see `deleteIfStale`). */
  modifiedAt: Date;
}

export interface BlobStore {
  /** Streams `content` in while hashing it; atomic: a failed or aborted upload leaves nothing behind. */
  put(content: Readable, options?: PutBlobOptions): Promise<PutBlobResult>;
  /** Size in bytes, or undefined when the blob is not stored. */
  size(hash: string): Promise<number | undefined>;
  /**
   * A stream of the content (or of `range`; an `end` past the content is clamped);
   * KOLEJKA_NOT_FOUND when missing, KOLEJKA_VALIDATION when the range starts past the end.
   */
  open(hash: string, range?: ByteRange): Promise<Readable>;
  /** Removes the content; idempotent. */
  delete(hash: string): Promise<void>;
  /**
   * Removes the content unless it was stored, or deduplicated against by a `put`, at or after
   * `olderThan`; returns whether it removed it. Safe against a concurrent `put` of the same
   * content: either the put finds the content gone and stores it anew, or this sees it
   * refreshed and keeps it. Used by gc after the blob's record is gone.
   */
  deleteIfStale(hash: string, olderThan: Date): Promise<boolean>;
  /** Every stored blob, in no particular order (gc's sweep for content without a record). */
  list(signal?: AbortSignal): AsyncIterable<StoredBlob>;
  /** Removes what uploads that died with their process left behind, older than `olderThan`; returns how many. */
  sweepTemp(olderThan: Date): Promise<number>;
  close(): Promise<void>;
}
