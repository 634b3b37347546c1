import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { KolejkaError, diskFullCode, isKolejkaError } from '@kolejka/spec';
import { isBlobHash } from '../store/blob-hash.js';
import type { PutBlobOptions } from './blob-store.js';

/**
 * Reads `content` chunk by chunk, hashing (SHA-256) and counting it, and hands each chunk to
 * `write` before reading the next (so memory stays at one chunk whatever the size). Enforces
 * `maxBytes`, `expectedHash` and `signal` the same way for every blob store.
 */
export async function hashingCopy(
  content: Readable,
  write: (chunk: Buffer) => Promise<unknown>,
  options: PutBlobOptions = {},
): Promise<{ hash: string; size: number }> {
  const { expectedHash, maxBytes, signal } = options;
  if (expectedHash !== undefined && !isBlobHash(expectedHash))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid expected hash ${JSON.stringify(expectedHash)}: expected 64 lowercase hex digits (SHA-256)`,
    );
  const hash = createHash('sha256');
  let size = 0;
  // A full disk stops the writing but not the reading: the rest of the body is read and
  // dropped, so the error reply goes out on a connection the client can reuse.
  let diskFull: Error | undefined;
  const onAbort = (): void => {
    content.destroy(cancelled(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (isAborted(signal)) throw cancelled(signal);
    for await (const chunk of content) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      // Leaving the loop destroys `content`: the rest is never read.
      if (maxBytes !== undefined && size > maxBytes)
        throw new KolejkaError(
          'KOLEJKA_TOO_LARGE',
          `The blob is larger than the limit of ${maxBytes} bytes`,
          {
            details: { maxBytes },
          },
        );
      if (diskFull !== undefined) continue;
      hash.update(buffer);
      try {
        await write(buffer);
      } catch (error) {
        if (diskFullCode(error) === undefined) throw error;
        diskFull = error as Error;
      }
      if (isAborted(signal)) throw cancelled(signal);
    }
    if (diskFull !== undefined) throw diskFull;
  } catch (error) {
    if (isAborted(signal) && !isKolejkaError(error, 'KOLEJKA_TOO_LARGE')) throw cancelled(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const digest = hash.digest('hex');
  if (expectedHash !== undefined && digest !== expectedHash)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The uploaded content hashes to ${digest}, not to the expected ${expectedHash}`,
      { details: { expectedHash, actualHash: digest } },
    );
  return { hash: digest, size };
}

// A function, so TypeScript does not narrow `aborted` across the awaits in between.
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

function cancelled(signal: AbortSignal | undefined): KolejkaError {
  const reason: unknown = signal?.reason;
  if (isKolejkaError(reason)) return reason;
  return new KolejkaError('KOLEJKA_CANCELLED', 'The upload was aborted', { cause: reason });
}
