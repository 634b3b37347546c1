import { describe, expect, it } from 'vitest';
import { createLineLogger } from '../src/line-logger.js';

describe('createLineLogger', () => {
  it('writes one readable line per entry at or above its level, with child scope', () => {
    const lines: string[] = [];
    const logger = createLineLogger({
      name: 'kolejka-x',
      level: 'info',
      write: (line) => lines.push(line),
    });
    logger.child({ task: 'k' }).warn('careful', { size: 3, skipped: undefined });
    logger.info('plain');
    logger.debug('not shown');
    expect(lines).toEqual(['kolejka-x: warn: careful (task=k, size=3)', 'kolejka-x: info: plain']);
  });
});
