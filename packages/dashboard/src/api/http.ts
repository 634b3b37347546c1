import { ApiError, errorFromResponse } from './api-error.js';

/** API v1 lives beside the dashboard on the same server: `/ui/` → `/api/v1`. */
export const API_BASE = '/api/v1';

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (file uploads). */
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Called when the server refuses the token (expired, revoked): the session ends. */
let onUnauthorized: (() => void) | undefined;
let currentToken: string | undefined;

export function setToken(token: string | undefined, whenRefused?: () => void): void {
  currentToken = token;
  onUnauthorized = whenRefused;
}

/** A request to API v1 with the session's token; failures become an ApiError naming `action`. */
export async function apiFetch(
  action: string,
  path: string,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (currentToken !== undefined) headers.Authorization = `Bearer ${currentToken}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(action, 0, 'NETWORK', `the server did not answer (${String(error)})`);
  }
  if (!response.ok) {
    const error = await errorFromResponse(action, response);
    if (response.status === 401 && currentToken !== undefined) onUnauthorized?.();
    throw error;
  }
  return response;
}

/** `apiFetch` for a JSON answer (or `undefined` for 204). */
export async function apiJson<T>(
  action: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const response = await apiFetch(action, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string of the set values only. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
