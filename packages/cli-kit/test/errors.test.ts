import { describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import { describeError } from '../src/errors.js';

describe('describeError', () => {
  it('gives the message, then each cause along the chain', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:9');
    const middle = new KolejkaError('KOLEJKA_UNAVAILABLE', 'Cannot reach the server', {
      cause: root,
    });
    const top = new Error('Login failed', { cause: middle });
    expect(describeError(top)).toBe(
      'Login failed: Cannot reach the server: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('never says a sentence twice when a message already quotes its cause', () => {
    const cause = new KolejkaError('KOLEJKA_VALIDATION', '"64Mi" is not a valid memory size');
    const error = new KolejkaError('KOLEJKA_VALIDATION', `--memory: ${cause.message}`, { cause });
    expect(describeError(error)).toBe('--memory: "64Mi" is not a valid memory size');
    const same = new Error('boom', { cause: new Error('boom') });
    expect(describeError(same)).toBe('boom');
  });

  it('lets a cause that quotes an earlier message replace it', () => {
    const error = new Error('Cannot read config', {
      cause: new Error('Cannot read config: EACCES'),
    });
    expect(describeError(error)).toBe('Cannot read config: EACCES');
  });

  it('describes strings, objects and nothing, skips empty messages and survives cycles', () => {
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError({ status: 500 })).toBe('{"status":500}');
    expect(describeError(undefined)).toBe('unknown error');
    expect(describeError(new Error('', { cause: new Error('inner') }))).toBe('inner');
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeError(a)).toBe('a: b');
  });
});
