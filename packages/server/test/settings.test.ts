import { describe, expect, it } from 'vitest';
import { parseTask } from '@kolejka/spec';
import { applyServerLimits, taskPolicyIssues } from '../src/tasks/task-policy.js';
import { resolveServerSettings } from '../src/server-settings.js';

const GiB = 1024 ** 3;

describe('resolveServerSettings', () => {
  it('fills the defaults', () => {
    const settings = resolveServerSettings();
    expect(settings).toMatchObject({
      imagePatterns: ['.*'],
      callbackHosts: ['localhost', '127.0.0.1'],
      maxAttempts: 3,
      leaseMs: 60_000,
      compatLeaseMs: 3_600_000,
      defaultLimits: { workspace: GiB },
      maxLimits: {},
    });
  });

  it('has a one-hour schedule catch-up window by default, 0 allowed, negative refused', () => {
    expect(resolveServerSettings()).toMatchObject({
      scheduleCatchUpMs: 3_600_000,
      schedulePollMs: 5000,
    });
    expect(resolveServerSettings({ scheduleCatchUpMs: 0 }).scheduleCatchUpMs).toBe(0);
    expect(() => resolveServerSettings({ scheduleCatchUpMs: -1 })).toThrow(/scheduleCatchUpMs/);
  });

  it('parses limits given as JSON or numbers', () => {
    const settings = resolveServerSettings({
      defaultLimits: { memory: '64M', time: '1M' },
      maxLimits: { memory: 1024, cpus: 2 },
    });
    expect(settings.defaultLimits).toEqual({ memory: 67_108_864, time: 60, workspace: GiB });
    expect(settings.maxLimits).toEqual({ memory: 1024, cpus: 2 });
  });

  it('names every wrong setting', () => {
    expect(() => resolveServerSettings({ maxLimits: { memory: '64Mi' } })).toThrow(/maxLimits/);
    expect(() => resolveServerSettings({ imagePatterns: ['(unclosed'] })).toThrow(
      /imagePatterns\[0\] is not a valid regular expression/,
    );
    expect(() => resolveServerSettings({ leaseMs: -1, maxAttempts: 0 })).toThrow(
      /leaseMs must be a positive number.*maxAttempts/,
    );
  });

  it('matches image patterns against the whole name', () => {
    const settings = resolveServerSettings({ imagePatterns: ['kolejka-test/.*', 'debian'] });
    const issues = (image: string) => taskPolicyIssues(parseTask({ image, args: ['x'] }), settings);
    expect(issues('kolejka-test/busybox:latest')).toEqual([]);
    expect(issues('debian')).toEqual([]);
    expect(issues('debian-evil')).toHaveLength(1);
    expect(issues('evil/kolejka-test/x')).toHaveLength(1);
  });
});

describe('applyServerLimits', () => {
  const settings = resolveServerSettings({
    defaultLimits: { time: '10s', memory: '64M' },
    maxLimits: { time: '60s', memory: '1G', network: false },
  });

  it('fills omitted limits from the defaults and caps at the maxima', () => {
    expect(applyServerLimits({}, settings)).toEqual({
      time: 10,
      memory: 67_108_864,
      network: false,
      workspace: GiB,
    });
    expect(applyServerLimits({ time: 600, memory: 1024 }, settings)).toEqual({
      time: 60,
      memory: 1024,
      network: false,
      workspace: GiB,
    });
    expect(applyServerLimits({ network: true }, settings).network).toBe(false);
  });

  it('gives every task a bounded workspace: 1G, unless the task or the defaults name one', () => {
    expect(applyServerLimits({}, resolveServerSettings()).workspace).toBe(GiB);
    expect(applyServerLimits({ workspace: 1024 }, resolveServerSettings()).workspace).toBe(1024);
    const small = resolveServerSettings({ defaultLimits: { workspace: '64M' } });
    expect(applyServerLimits({}, small).workspace).toBe(64 * 1024 ** 2);
    const capped = resolveServerSettings({ maxLimits: { workspace: '256M' } });
    expect(applyServerLimits({}, capped).workspace).toBe(256 * 1024 ** 2);
  });

  it('keeps GPUs when the maxima say nothing about them, caps them when they do', () => {
    expect(applyServerLimits({ gpus: 2, gpu_memory: 1024 }, settings)).toMatchObject({
      gpus: 2,
      gpu_memory: 1024,
    });
    const capped = resolveServerSettings({ maxLimits: { gpus: 1 } });
    expect(applyServerLimits({ gpus: 2 }, capped)).toEqual({ gpus: 1, workspace: GiB });
    expect(applyServerLimits({}, capped)).toEqual({ workspace: GiB });
  });
});

describe('maxClientPriority (queue control, issue 12)', () => {
  it('defaults to 0 and takes a whole number in -1000..1000', async () => {
    expect(resolveServerSettings().maxClientPriority).toBe(0);
    expect(resolveServerSettings({ maxClientPriority: 10 }).maxClientPriority).toBe(10);
    expect(() => resolveServerSettings({ maxClientPriority: 2000 })).toThrow(/maxClientPriority/);
    const { resolveServerOptions } = await import('../src/options.js');
    const options = await resolveServerOptions({}, { KOLEJKA_MAX_CLIENT_PRIORITY: '5' });
    expect(options.settings).toMatchObject({ maxClientPriority: 5 });
  });
});
