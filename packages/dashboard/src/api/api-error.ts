/** One validation problem the server named: where (a JSON path) and what. */
export interface ApiIssue {
  path: string;
  message: string;
}

/**
 * A request that failed, said as a person reads it: what the dashboard was doing
 * (`action`), and the server's own code and message (or why no answer came).
 */
export class ApiError extends Error {
  constructor(
    readonly action: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error body of API v1: `{ error: { code, message, details? } }`. */
export async function errorFromResponse(action: string, response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `the server answered ${response.status}`;
  let issues: ApiIssue[] = [];
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: { issues?: ApiIssue[] } };
    };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    if (Array.isArray(body.error?.details?.issues)) issues = body.error.details.issues;
  } catch {
    // Not JSON (a proxy's page, an empty body): the status line says enough.
  }
  return new ApiError(action, response.status, code, message, issues);
}

/** Any thrown value as an ApiError, so every failure is shown the same way. */
export function asApiError(action: string, error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(action, 0, 'NETWORK', `no answer from the server (${message})`);
}
