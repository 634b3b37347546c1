import type { Readable } from 'node:stream';

/**
 * Content-addressed blob storage (SHA-256). Two implementations: a directory (embedded
 * default: `<dir>/blob/ab/cd/ef/<rest of hash>`, uploads written to `<dir>/temp/` then
 * renamed) and MongoDB GridFS. Content is always streamed, never held whole in memory.
 * The Store keeps the blob *records* (size, references); this keeps the bytes.
 */
export interface PutBlobOptions {
  /** When given, the upload is refused (KOLEJKA_VALIDATION) unless the content hashes to it. */
  expectedHash?: string;
  /** Refuse (KOLEJKA_TOO_LARGE) once more than this many bytes arrived. */
  maxBytes?: number;
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

export interface BlobStore {
  /** Streams `content` in while hashing it; atomic: a failed or aborted upload leaves nothing behind. */
  put(content: Readable, options?: PutBlobOptions): Promise<PutBlobResult>;
  /** Size in bytes, or undefined when the blob is not stored. */
  size(hash: string): Promise<number | undefined>;
  /** A stream of the content (or of `range`); KOLEJKA_NOT_FOUND when missing. */
  open(hash: string, range?: ByteRange): Promise<Readable>;
  /** Removes the content; idempotent. */
  delete(hash: string): Promise<void>;
  close(): Promise<void>;
}

/** A lowercase SHA-256 hex digest: 64 characters 0-9a-f. */
export function isBlobHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
