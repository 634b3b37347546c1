import { hasPermission, type Principal } from '../accounts/principal.js';
import type { BlobRecord, ReferenceRecord, Store } from '../store/store.js';
import { isBlobHash } from '../store/blob-hash.js';

/** What the access checks read. */
export interface BlobAccessPorts {
  store: Store;
}

/** A reference key of the original: a uuid4 in 32 lowercase hex digits. */
export function isReferenceKey(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/**
 * The caller may read a blob when it holds a reference to it, or when its role reads
 * everything (processors, inspectors, managers, admins). Anything else must look exactly
 * like a missing blob, so nobody learns which hashes exist.
 */
export async function mayReadHash(
  ports: BlobAccessPorts,
  principal: Principal | undefined,
  hash: string,
): Promise<boolean> {
  if (principal === undefined || !isBlobHash(hash)) return false;
  if (hasPermission(principal, 'blob:read-any')) return true;
  return ports.store.hasReference(principal.username, hash);
}

/** The blob record when the caller may read it (and it exists), else undefined. */
export async function readableBlob(
  ports: BlobAccessPorts,
  principal: Principal | undefined,
  hash: string,
): Promise<BlobRecord | undefined> {
  if (!(await mayReadHash(ports, principal, hash))) return undefined;
  return ports.store.getBlob(hash);
}

/** A reference the caller may use: its own, a public one, or any for read-everything roles. */
export async function readableReference(
  ports: BlobAccessPorts,
  principal: Principal | undefined,
  key: string,
): Promise<ReferenceRecord | undefined> {
  if (principal === undefined || !isReferenceKey(key)) return undefined;
  const reference = await ports.store.getReference(key);
  if (reference === undefined) return undefined;
  if (
    reference.isPublic ||
    reference.owner === principal.username ||
    hasPermission(principal, 'blob:read-any')
  ) {
    return reference;
  }
  return undefined;
}

/**
 * Resolves what a task or result file names — a blob hash or one of the caller's
 * reference keys — to the hash of a blob the caller may read; undefined otherwise.
 */
export async function resolveFileReference(
  ports: BlobAccessPorts,
  principal: Principal,
  value: string,
): Promise<string | undefined> {
  if (isBlobHash(value)) return (await readableBlob(ports, principal, value))?.hash;
  const reference = await readableReference(ports, principal, value);
  if (reference === undefined) return undefined;
  return (await ports.store.getBlob(reference.hash))?.hash;
}
