import { describe, expect, it } from 'vitest';
import { logLevelFromEnv } from '@kolejka/cli-kit/log-levels';
import { resolveObserverDaemonOptions } from '../src/options.js';

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

// The daemon logger's own tests moved with it to packages/cli-kit/test/logger.test.ts.
