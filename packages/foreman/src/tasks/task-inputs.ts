import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  KolejkaError,
  TASK_SPEC_FILE,
  resolveInside,
  writeTask,
  type FilesSpec,
  type TaskSpec,
} from '@kolejka/spec';
import { mapLimited } from '@kolejka/client';
import { placeBlob, type BlobCache, type BlobLease } from './blob-cache.js';

/** Input files fetched at once for one task. */
const DOWNLOAD_CONCURRENCY = 8;

/**
 * Makes a local task dir from an assigned task: every file from the blob cache under its
 * name (checked to stay inside the dir), and `kolejka_task.json` naming them by local path.
 * Returns the cache leases; release them once the worker has copied the files.
 */
export async function prepareTaskDir(
  taskDir: string,
  task: TaskSpec,
  cache: BlobCache,
  signal?: AbortSignal,
): Promise<BlobLease[]> {
  await mkdir(taskDir, { recursive: true });
  const leases: BlobLease[] = [];
  const files: FilesSpec = {};
  try {
    const entries = Object.entries(task.files);
    // Paths are checked before anything is downloaded or written.
    const placed = entries.map(([name, file]) => {
      if (name === TASK_SPEC_FILE) {
        throw new KolejkaError(
          'KOLEJKA_VALIDATION',
          `task file ${JSON.stringify(name)} is reserved`,
        );
      }
      if (file.reference === undefined) {
        throw new KolejkaError(
          'KOLEJKA_VALIDATION',
          `task file ${JSON.stringify(name)} names no blob (reference)`,
        );
      }
      return { name, hash: file.reference, destination: resolveInside(taskDir, name) };
    });
    await mapLimited(placed, DOWNLOAD_CONCURRENCY, async ({ name, hash, destination }) => {
      const lease = await cache.acquire(hash, signal);
      leases.push(lease);
      await mkdir(path.dirname(destination), { recursive: true });
      await placeBlob(lease.file, destination);
      files[name] = { path: name };
    });
    await writeTask(taskDir, { ...task, files });
    return leases;
  } catch (error) {
    for (const lease of leases) lease.release();
    throw error;
  }
}
