import { execFile } from 'node:child_process';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI; resolves with the status even when it is non-zero. */
export function docker(args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(
            new Error(`docker ${args.join(' ')} could not run: ${error.message}`, { cause: error }),
          );
          return;
        }
        resolve({ status: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
