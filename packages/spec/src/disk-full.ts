/**
 * Whether an error says a disk, or the user's quota on it, is full: `ENOSPC` or `EDQUOT`
 * as the errno code of the error or of one it was caused by, or "no space left on device"
 * in a message (Docker and other peers send the text, not the code). Returns the code.
 * The worker, the foreman and the server each react to a full disk (`disk_full`, 507).
 */
export function diskFullCode(error: unknown): 'ENOSPC' | 'EDQUOT' | undefined {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 10; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return code;
    const message = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
    if (/\bENOSPC\b|no space left on device/i.test(message)) return 'ENOSPC';
    if (/\bEDQUOT\b|disk quota exceeded/i.test(message)) return 'EDQUOT';
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
