import { describe, expect, it } from 'vitest';
import { diskFullCode } from '../src/disk-full.js';

const errno = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('diskFullCode', () => {
  it('finds ENOSPC or EDQUOT as the code of the error or of a cause', () => {
    expect(diskFullCode(errno('ENOSPC'))).toBe('ENOSPC');
    expect(diskFullCode(new Error('upload failed', { cause: errno('EDQUOT') }))).toBe('EDQUOT');
  });

  it('reads the text where a peer sent no code (Docker)', () => {
    expect(diskFullCode(new Error('write /x: no space left on device'))).toBe('ENOSPC');
    expect(diskFullCode('disk quota exceeded')).toBe('EDQUOT');
  });

  it('says nothing of other errors, and survives odd values', () => {
    expect(diskFullCode(errno('EACCES'))).toBeUndefined();
    expect(diskFullCode(new Error('no such file'))).toBeUndefined();
    expect(diskFullCode(null)).toBeUndefined();
    expect(diskFullCode(undefined)).toBeUndefined();
    const loop: Error & { cause?: unknown } = new Error('a');
    loop.cause = loop;
    expect(diskFullCode(loop)).toBeUndefined();
  });
});
