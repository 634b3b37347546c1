import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { OBSERVER_SOCKET_PATH } from '@kolejka/spec';

/** GPUs reported by `nvidia-smi` (0 when it is absent or fails), as the original. */
export function countGpus(): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index', '--format=csv,noheader'],
      { timeout: 10_000 },
      (error, stdout) => {
        if (error) {
          resolve(0);
          return;
        }
        resolve(stdout.split('\n').filter((line) => line.trim() !== '').length);
      },
    );
  });
}

/** Whether the observer's socket exists on the host (then it is bound into the container). */
export async function observerSocketExists(socketPath = OBSERVER_SOCKET_PATH): Promise<boolean> {
  try {
    return (await stat(socketPath)).isSocket();
  } catch {
    return false;
  }
}
