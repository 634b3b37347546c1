import { KolejkaError } from '@kolejka/spec';
import { HttpProtocolError, type HttpRequest } from './http-request.js';
import { JSON_CONTENT_TYPE } from './http-reply.js';

/** What a request asks of the observer, after the transport rules of the original (§5.1). */
export type ObserverRequest =
  | { kind: 'get' }
  | { kind: 'head' }
  | { kind: 'command'; command: string; params: Record<string, unknown> };

/**
 * The command named by a request target: query and fragment dropped, an absolute-form
 * "http://host" prefix dropped, percent-escapes decoded, surrounding slashes and spaces
 * stripped, lower-cased. So "attach", "/attach", "/Attach/ " all name `attach`; "" is root.
 */
export function commandOfTarget(target: string): string {
  let path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  path = path.split('?')[0]?.split('#')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // Malformed escapes are left as they are; the name will not match any command.
  }
  return path.replace(/^[\s/]+|[\s/]+$/g, '').toLowerCase();
}

/**
 * The body rule of the original: a body sent with a Content-Type must be JSON and the type
 * exactly `application/json; charset=utf-8`; without a Content-Type the body is ignored (`{}`).
 */
export function paramsOfRequest(request: HttpRequest): Record<string, unknown> {
  const contentType = request.headers.get('content-type');
  const hasBody = request.headers.has('content-length') || request.headers.has('transfer-encoding');
  if (contentType === undefined || !hasBody) return {};
  if (contentType !== JSON_CONTENT_TYPE) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Content-Type must be exactly "${JSON_CONTENT_TYPE}", got ${JSON.stringify(contentType)}`,
    );
  }
  const text = request.body.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `request body is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KolejkaError('KOLEJKA_VALIDATION', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function interpretRequest(request: HttpRequest): ObserverRequest {
  switch (request.method) {
    case 'GET':
      return { kind: 'get' };
    case 'HEAD':
      return { kind: 'head' };
    case 'POST':
      return {
        kind: 'command',
        command: commandOfTarget(request.target),
        params: paramsOfRequest(request),
      };
    default:
      throw new HttpProtocolError(
        405,
        `method ${request.method} is not supported; use POST (GET and HEAD answer empty)`,
      );
  }
}
