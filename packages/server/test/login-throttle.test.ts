import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../src/accounts/login-throttle.js';
import { HttpError } from '../src/http/errors.js';

function refusal(attempt: () => void): HttpError | undefined {
  try {
    attempt();
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
}

describe('LoginThrottle', () => {
  it('allows a burst per address, then refuses with 429 and Retry-After until it refills', () => {
    let now = 0;
    const throttle = new LoginThrottle({ attemptsPerMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) throttle.take('10.0.0.1', `user${i}`);
    const error = refusal(() => throttle.take('10.0.0.1', 'user9'));
    expect(error?.status).toBe(429);
    expect(error?.headers['Retry-After']).toBe('20');
    // Another address is not affected.
    expect(refusal(() => throttle.take('10.0.0.2', 'user9'))).toBeUndefined();
    now += 20_000;
    expect(refusal(() => throttle.take('10.0.0.1', 'user8'))).toBeUndefined();
  });

  it('limits one user name across addresses, case-insensitively', () => {
    const throttle = new LoginThrottle({ attemptsPerMinute: 2, now: () => 0 });
    throttle.take('10.0.0.1', 'alice');
    throttle.take('10.0.0.2', 'Alice');
    expect(refusal(() => throttle.take('10.0.0.3', 'ALICE'))?.status).toBe(429);
    // A refused attempt took nothing from the new address.
    throttle.take('10.0.0.3', 'bob');
    throttle.take('10.0.0.3', 'carol');
  });

  it('keeps its memory bounded under a spray of addresses, forgetting the oldest first', () => {
    let now = 0;
    const throttle = new LoginThrottle({ attemptsPerMinute: 1, now: () => now });
    // 60,000 distinct addresses and names: 120,000 keys against a bound of 100,000.
    for (let i = 0; i < 60_000; i++) throttle.take(`a${i}`, `u${i}`);
    expect(throttle.size).toBeLessThanOrEqual(100_000);
    // The newest are still remembered (refused), the oldest were dropped (allowed again).
    expect(refusal(() => throttle.take('a59999', 'v'))?.status).toBe(429);
    expect(refusal(() => throttle.take('a0', 'w'))).toBeUndefined();
    // A minute later every bucket is full again: the next prune forgets them.
    now += 61_000;
    throttle.take('fresh', 'fresh');
    expect(throttle.size).toBe(2);
  });
});
