import { execFile } from 'node:child_process';

/** Stops a systemd unit; rejects with systemctl's message when it cannot. */
export type StopUnit = (unit: string) => Promise<void>;

const STOP_TIMEOUT_MS = 15_000;

/**
 * `systemctl stop <unit>`. With Docker's systemd cgroup driver the task's parent is a slice
 * that systemd makes for the container's scope; systemd does not collect an empty slice by
 * itself (one `kolejka-<x>.slice` would be left per task), but it unloads a stopped one.
 */
export const stopSystemdUnit: StopUnit = (unit) =>
  new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      ['stop', '--', unit],
      { timeout: STOP_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (error === null) resolve();
        else reject(new Error(String(stderr).trim() || error.message, { cause: error }));
      },
    );
  });
