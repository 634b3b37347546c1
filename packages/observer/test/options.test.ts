import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import { createDaemonLogger, logLevelFromEnv, resolveObserverDaemonOptions } from '../src/index.js';

describe('resolveObserverDaemonOptions', () => {
  it('layers defaults < environment < explicit options', () => {
    expect(resolveObserverDaemonOptions({}, {})).toEqual({
      socketPath: '/var/run/kolejka/observer/socket',
      pidFile: '/var/run/kolejka/observer/pid',
      cgroupRoot: '/sys/fs/cgroup',
      cgroupVersion: undefined,
      logLevel: 'info',
    });
    const env = {
      KOLEJKA_OBSERVER_SOCKET: '/env/socket',
      KOLEJKA_OBSERVER_PID_FILE: '/env/pid',
      KOLEJKA_CGROUP_ROOT: '/env/cgroup',
      KOLEJKA_CGROUP_VERSION: 'v2',
      KOLEJKA_LOG_LEVEL: 'DEBUG',
    };
    expect(resolveObserverDaemonOptions({}, env)).toEqual({
      socketPath: '/env/socket',
      pidFile: '/env/pid',
      cgroupRoot: '/env/cgroup',
      cgroupVersion: 'v2',
      logLevel: 'debug',
    });
    expect(
      resolveObserverDaemonOptions({ socketPath: '/cli/socket', logLevel: 'warn' }, env),
    ).toMatchObject({
      socketPath: '/cli/socket',
      pidFile: '/env/pid',
      logLevel: 'warn',
    });
  });

  it('names bad environment values', () => {
    expect(() => logLevelFromEnv({ KOLEJKA_LOG_LEVEL: 'loud' })).toThrow(
      /KOLEJKA_LOG_LEVEL="loud" is not one of error, warn, info, debug/,
    );
    expect(() => resolveObserverDaemonOptions({}, { KOLEJKA_CGROUP_VERSION: 'v3' })).toThrow(
      /must be v1 or v2/,
    );
  });
});

describe('createDaemonLogger', () => {
  function capture(json: boolean, level: 'info' | 'debug' = 'info') {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      ),
    );
    return { logger: createDaemonLogger({ name: 'kolejka-test', level, json, stream }), lines };
  }

  it('writes JSON lines with the service name, child metadata and errors that keep their code', async () => {
    const { logger, lines } = capture(true);
    logger.child({ component: 'sessions' }).info('session opened', {
      session: 'abc',
      error: new KolejkaError('KOLEJKA_FORBIDDEN', 'no'),
    });
    logger.debug('not shown at info');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'session opened',
      service: 'kolejka-test',
      component: 'sessions',
      session: 'abc',
      error: { name: 'KolejkaError', message: 'no', code: 'KOLEJKA_FORBIDDEN' },
    });
    expect(entry.timestamp).toEqual(expect.any(String));
  });

  it('writes readable lines for a terminal', async () => {
    const { logger, lines } = capture(false, 'debug');
    logger.debug('request', { status: 200 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatch(/debug.* \[kolejka-test\] request \{"status":200\}$/);
  });
});
