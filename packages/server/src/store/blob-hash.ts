/** A blob's name in the store and in the blob stores: a lowercase SHA-256 hex digest. */
export function isBlobHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
