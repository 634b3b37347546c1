import { logLevelFromEnv, type LogLevel } from '@kolejka/cli-kit/log-levels';
import { OBSERVER_PID_PATH, OBSERVER_SOCKET_PATH } from '@kolejka/spec';
import type { CgroupVersion } from './cgroups/cgroups.js';
import { DEFAULT_CGROUP_ROOT } from './cgroups/resolved-options.js';

export interface ObserverDaemonOptions {
  /** Default /var/run/kolejka/observer/socket (KOLEJKA_OBSERVER_SOCKET). */
  socketPath?: string;
  /** Default /var/run/kolejka/observer/pid (KOLEJKA_OBSERVER_PID_FILE). */
  pidFile?: string;
  /** Default /sys/fs/cgroup (KOLEJKA_CGROUP_ROOT). */
  cgroupRoot?: string;
  /** Default: detected (KOLEJKA_CGROUP_VERSION). */
  cgroupVersion?: CgroupVersion;
  /** Default info (KOLEJKA_LOG_LEVEL). */
  logLevel?: LogLevel;
}

export interface ResolvedObserverDaemonOptions {
  socketPath: string;
  pidFile: string;
  cgroupRoot: string;
  cgroupVersion: CgroupVersion | undefined;
  logLevel: LogLevel;
}

function cgroupVersionFromEnv(env: NodeJS.ProcessEnv): CgroupVersion | undefined {
  const value = env.KOLEJKA_CGROUP_VERSION?.trim();
  if (value === undefined || value === '') return undefined;
  if (value !== 'v1' && value !== 'v2') {
    throw new Error(`KOLEJKA_CGROUP_VERSION=${JSON.stringify(value)} must be v1 or v2`);
  }
  return value;
}

/** Defaults < KOLEJKA_* environment < explicit options (the command line). */
export function resolveObserverDaemonOptions(
  options: ObserverDaemonOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedObserverDaemonOptions {
  const nonEmpty = (value: string | undefined): string | undefined =>
    value === undefined || value.trim() === '' ? undefined : value;
  return {
    socketPath: options.socketPath ?? nonEmpty(env.KOLEJKA_OBSERVER_SOCKET) ?? OBSERVER_SOCKET_PATH,
    pidFile: options.pidFile ?? nonEmpty(env.KOLEJKA_OBSERVER_PID_FILE) ?? OBSERVER_PID_PATH,
    cgroupRoot: options.cgroupRoot ?? nonEmpty(env.KOLEJKA_CGROUP_ROOT) ?? DEFAULT_CGROUP_ROOT,
    cgroupVersion: options.cgroupVersion ?? cgroupVersionFromEnv(env),
    logLevel: options.logLevel ?? logLevelFromEnv(env),
  };
}
