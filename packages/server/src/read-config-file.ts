import { readFile } from 'node:fs/promises';
import { KolejkaError, validationError, type ValidationIssue } from '@kolejka/spec';

/**
 * Reads a JSON config file (`--config FILE`): an object whose keys `problemOf` checks
 * (undefined when fine, else what is wrong); every problem is an error naming its key.
 */
export async function readConfigFile<T extends object>(
  file: string,
  problemOf: (key: string, value: unknown) => string | undefined,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Cannot read the config file ${file}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The config file ${file} is not JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `The config file ${file} must hold an object`);
  }
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(json)) {
    const problem = problemOf(key, value);
    if (problem !== undefined) issues.push({ path: `/${key}`, message: problem });
  }
  if (issues.length > 0) throw validationError(`config file ${file}`, issues);
  return json as T;
}
