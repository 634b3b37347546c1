import { describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import { logLevelFromEnv, logLevelFromFlags, parseLogLevel } from '../src/log-levels.js';

describe('log levels', () => {
  it('reads KOLEJKA_LOG_LEVEL in any case, with a fallback when unset or empty', () => {
    expect(logLevelFromEnv({ KOLEJKA_LOG_LEVEL: ' DEBUG ' })).toBe('debug');
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ KOLEJKA_LOG_LEVEL: '' }, 'warn')).toBe('warn');
  });

  it('names bad environment values and lists the valid ones', () => {
    expect(() => logLevelFromEnv({ KOLEJKA_LOG_LEVEL: 'loud' })).toThrow(
      /KOLEJKA_LOG_LEVEL="loud" is not one of error, warn, info, debug/,
    );
    expect(() => parseLogLevel('loud', '--log-level')).toThrow(KolejkaError);
  });

  it('takes --log-level over -d over -v, and nothing when none is given', () => {
    expect(logLevelFromFlags({ logLevel: 'error', isDebug: true, isVerbose: true })).toBe('error');
    expect(logLevelFromFlags({ isDebug: true, isVerbose: true })).toBe('debug');
    expect(logLevelFromFlags({ isVerbose: true })).toBe('info');
    expect(logLevelFromFlags({})).toBeUndefined();
    expect(() => logLevelFromFlags({ logLevel: 'loud' })).toThrow(/--log-level="loud"/);
  });
});
