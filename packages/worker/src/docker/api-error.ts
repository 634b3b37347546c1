// Reading the engine's errors, the same for the built-in client and dockerode. No
// @kolejka/spec here: the worker CLI loads the client before anything heavy.

/** An Engine API error in dockerode's shape (statusCode, json), so both clients read alike. */
export class DockerApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: unknown,
    message: string,
  ) {
    super(`(HTTP code ${statusCode}) ${message}`);
  }
}

/** The error an answer with an error status stands for (the engine's JSON `message`, or the text). */
export function apiErrorOf(statusCode: number, body: string): DockerApiError {
  let json: unknown = body;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    // plain text
  }
  const message = (json as { message?: unknown } | undefined)?.message;
  return new DockerApiError(statusCode, json, typeof message === 'string' ? message : body.trim());
}

/** An Engine API error as dockerode and the built-in client report it. */
export function dockerStatusCode(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message from an error (dockerode wraps it in "(HTTP code …) …"). */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (
    json &&
    typeof json === 'object' &&
    typeof (json as { message?: unknown }).message === 'string'
  )
    return (json as { message: string }).message;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return error instanceof Error ? error.message : String(error);
}
