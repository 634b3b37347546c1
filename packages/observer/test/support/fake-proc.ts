import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fake /proc with only <pid>/stat files: enough for creator liveness checks. */
export interface FakeProc {
  root: string;
  /** The process exists, started at `startTime` (clock ticks). */
  live(pid: number, startTime?: number): Promise<void>;
  /** The process is gone. */
  gone(pid: number): Promise<void>;
  remove(): Promise<void>;
}

export async function createFakeProc(): Promise<FakeProc> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-proc-'));
  return {
    root,
    async live(pid, startTime = 1000) {
      await mkdir(path.join(root, String(pid)), { recursive: true });
      // Field 3 (state) is the first after the name; field 22 (start time) the 20th.
      const fields = Array.from({ length: 50 }, (_, index) =>
        index === 0 ? 'S' : index === 19 ? String(startTime) : '0',
      );
      await writeFile(
        path.join(root, String(pid), 'stat'),
        `${pid} (a (tricky) name) ${fields.join(' ')}\n`,
      );
    },
    async gone(pid) {
      await rm(path.join(root, String(pid)), { recursive: true, force: true });
    },
    async remove() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
