import { mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';

export const LOCK_FILE = 'foreman.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims the temp dir for this process: two foremen sharing one would delete each other's
 * work dirs and upload each other's spool. A lock left by a dead process is taken over.
 * Returns the release function.
 */
export async function lockTempDir(tempDir: string): Promise<() => Promise<void>> {
  await mkdir(tempDir, { recursive: true, mode: 0o700 });
  const file = path.join(tempDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        const owner = await readFile(file, 'utf8').catch(() => '');
        if (Number(owner.trim()) === process.pid) await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new KolejkaError(
        'KOLEJKA_CONFLICT',
        `Another foreman (pid ${owner}) uses ${tempDir}; give each foreman its own --temp`,
      );
    }
    // Stale: its process is gone. Replace it and try again (another starter may race us).
    await writeFile(file, '').catch(() => undefined);
    await unlink(file).catch(() => undefined);
  }
  throw new KolejkaError('KOLEJKA_CONFLICT', `Could not lock ${file}`);
}
