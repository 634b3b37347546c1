import { KolejkaError, isErrorCode, type ErrorCode } from '@kolejka/spec';

/**
 * An error the server answered with: the `{"error": {code, message, details}}` body of API
 * v1 rebuilt as a KolejkaError (code, message and details kept), plus the HTTP status and
 * the URL, so callers can tell a refusal by the server from a problem found locally.
 */
export class KolejkaServerError extends KolejkaError {
  readonly status: number;
  readonly url: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { status: number; url: string; details?: unknown; cause?: unknown },
  ) {
    super(code, message, { details: options.details, cause: options.cause });
    this.status = options.status;
    this.url = options.url;
  }
}

export function isServerError(error: unknown): error is KolejkaServerError {
  return error instanceof KolejkaServerError;
}

/** The code of a status when the body is not an API error (a proxy's page, an empty 404). */
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 405:
    case 415:
    case 416:
      return 'KOLEJKA_VALIDATION';
    case 401:
      return 'KOLEJKA_UNAUTHORIZED';
    case 403:
      return 'KOLEJKA_FORBIDDEN';
    case 404:
      return 'KOLEJKA_NOT_FOUND';
    case 409:
      return 'KOLEJKA_CONFLICT';
    case 413:
      return 'KOLEJKA_TOO_LARGE';
    case 502:
    case 503:
      return 'KOLEJKA_UNAVAILABLE';
    case 504:
      return 'KOLEJKA_TIMEOUT';
    default:
      return status >= 500 ? 'KOLEJKA_INTERNAL' : 'KOLEJKA_VALIDATION';
  }
}

/** Only this much of an error body is read: it is a message, not a download. */
const MAX_ERROR_BODY_BYTES = 256 * 1024;

async function readLimited(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_BODY_BYTES) {
      const read = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (read.done || read.value === undefined) break;
      chunks.push(read.value);
      size += read.value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
}

/** Builds the error of a non-2xx reply from its body (read and released here). */
export async function errorFromResponse(
  response: Response,
  method: string,
  url: string,
): Promise<KolejkaServerError> {
  let text = '';
  try {
    text = method === 'HEAD' ? '' : await readLimited(response);
  } catch {
    // The status alone still says what happened.
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error;
  if (error !== undefined && isErrorCode(error.code) && typeof error.message === 'string') {
    return new KolejkaServerError(error.code, error.message, {
      status: response.status,
      url,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  }
  const excerpt = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return new KolejkaServerError(
    codeOfStatus(response.status),
    `${method} ${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`,
    { status: response.status, url },
  );
}
