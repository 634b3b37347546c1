import { isKolejkaError, validationError } from '@kolejka/spec';

/**
 * Runs `body`, and re-bases the JSON paths of a validation error it throws under `prefix`:
 * a task checked on its own reports `/limits/memory`, which in a request `{"task": …}` is
 * `/task/limits/memory`.
 */
export async function withIssuesUnder<T>(
  prefix: string,
  what: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!isKolejkaError(error, 'KOLEJKA_VALIDATION') || error.issues.length === 0) throw error;
    throw validationError(
      what,
      error.issues.map((issue) => ({ ...issue, path: `${prefix}${issue.path}` })),
      { cause: error },
    );
  }
}
