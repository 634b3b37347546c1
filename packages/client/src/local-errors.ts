import { KolejkaError } from '@kolejka/spec';

/** A local file that cannot be read: KOLEJKA_NOT_FOUND when missing, else VALIDATION. */
export function localFileError(filePath: string, error: unknown): KolejkaError {
  if (error instanceof KolejkaError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new KolejkaError('KOLEJKA_NOT_FOUND', `${filePath} does not exist`, { cause: error });
  }
  return new KolejkaError(
    'KOLEJKA_VALIDATION',
    `Cannot read ${filePath}: ${(error as Error).message}`,
    { cause: error },
  );
}

/** A local file or directory that cannot be written (permissions, a file in the way, a
 * full disk): the target the caller named is unusable. */
export function localWriteError(filePath: string, error: unknown): KolejkaError {
  if (error instanceof KolejkaError) return error;
  return new KolejkaError(
    'KOLEJKA_VALIDATION',
    `Cannot write ${filePath}: ${(error as Error).message}`,
    { cause: error },
  );
}
