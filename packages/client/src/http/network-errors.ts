/**
 * Node's fetch (undici) reports network trouble as `TypeError: fetch failed` with the real
 * error in `cause` (an AggregateError when several addresses were tried).
 */

/** Failures before a request could reach any server: always safe to send again. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function causes(error: unknown): unknown[] {
  const found: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 20) {
    const current = queue.shift();
    if (current === undefined || current === null) continue;
    found.push(current);
    if (current instanceof AggregateError) queue.push(...(current.errors as unknown[]));
    if (current instanceof Error && current.cause !== undefined) queue.push(current.cause);
  }
  return found;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether the request never left: refused, unknown host, no route. */
export function isConnectFailure(error: unknown): boolean {
  const codes = causes(error)
    .map(codeOf)
    .filter((code) => code !== undefined);
  return codes.length > 0 && codes.some((code) => CONNECT_CODES.has(code));
}

/** The most telling message of a network error chain (`connect ECONNREFUSED 127.0.0.1:1`). */
export function describeNetworkError(error: unknown): string {
  const chain = causes(error);
  const withCode = chain.find(
    (item) => codeOf(item) !== undefined && item instanceof Error && item.message !== '',
  );
  const chosen = withCode ?? chain[chain.length - 1] ?? error;
  if (chosen instanceof Error) return chosen.message || codeOf(chosen) || chosen.name;
  return String(chosen);
}
