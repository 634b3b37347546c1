/**
 * The one error type of Kolejka. `code` is stable and machine-readable; the server maps it
 * to an HTTP status and the client rebuilds the error from the response body.
 */
export const ERROR_CODES = [
  'KOLEJKA_VALIDATION',
  'KOLEJKA_NOT_FOUND',
  'KOLEJKA_UNAUTHORIZED',
  'KOLEJKA_FORBIDDEN',
  'KOLEJKA_CONFLICT',
  'KOLEJKA_TOO_LARGE',
  'KOLEJKA_UNAVAILABLE',
  'KOLEJKA_TIMEOUT',
  'KOLEJKA_CANCELLED',
  'KOLEJKA_DOCKER',
  'KOLEJKA_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem found by validation: where (a JSON Pointer into the input) and what. */
export interface ValidationIssue {
  /** JSON Pointer (RFC 6901) of the offending value, `""` for the document itself. */
  path: string;
  message: string;
}

export interface KolejkaErrorOptions {
  cause?: unknown;
  details?: unknown;
}

export class KolejkaError extends Error {
  override readonly name = 'KolejkaError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: KolejkaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** Validation issues carried by a `KOLEJKA_VALIDATION` error, or `[]`. */
  get issues(): ValidationIssue[] {
    const details = this.details as { issues?: unknown } | undefined;
    return Array.isArray(details?.issues) ? (details.issues as ValidationIssue[]) : [];
  }
}

export function isKolejkaError(error: unknown, code?: ErrorCode): error is KolejkaError {
  return error instanceof KolejkaError && (code === undefined || error.code === code);
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** A validation error listing every issue; the message names each place and problem. */
export function validationError(
  what: string,
  issues: ValidationIssue[],
  options: { cause?: unknown } = {},
): KolejkaError {
  const listed = issues.map((issue) => `${readablePath(issue.path)} ${issue.message}`);
  return new KolejkaError('KOLEJKA_VALIDATION', `Invalid ${what}: ${listed.join('; ')}`, {
    cause: options.cause,
    details: { issues },
  });
}

/**
 * Turns a JSON Pointer into the form people read: `/limits/memory` → `limits.memory`,
 * `/files/a~1b` → `files["a/b"]`, `/args/0` → `args[0]`, `""` → `(document)`.
 */
export function readablePath(pointer: string): string {
  if (pointer === '') return '(document)';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Appends one segment to a JSON Pointer, escaping `~` and `/` as RFC 6901 requires. */
export function pointerAppend(pointer: string, segment: string | number): string {
  return `${pointer}/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
