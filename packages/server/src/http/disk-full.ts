/** Error codes of a full disk or an exhausted quota. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** The errno code of the first error in the `cause` chain, if any (for logs). */
export function errnoOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** ENOSPC or EDQUOT when the error (or one it was caused by) says the disk is full. */
export function diskFullCode(error: unknown): string | undefined {
  const code = errnoOf(error);
  return code !== undefined && DISK_FULL_CODES.has(code) ? code : undefined;
}
