/** How deep a `cause` chain is followed (a cycle or a very long chain stops here). */
const MAX_CAUSES = 8;

function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value !== 'object') return 'unknown error'; // a symbol or a function
  try {
    return JSON.stringify(value);
  } catch {
    return 'unknown error'; // a cycle: nothing readable to say
  }
}

/**
 * What went wrong, for a person reading a terminal: the error's message, then each cause
 * along the `cause` chain, joined by ": ". A message already said — the same, or contained
 * in one before it (a KolejkaError that quotes its cause) — is left out; a cause whose
 * message contains an earlier one replaces it. Empty messages are skipped.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== undefined && !seen.has(current) && depth < MAX_CAUSES; depth++) {
    seen.add(current);
    const text = messageOf(current).trim();
    const wider = parts.findIndex((part) => text.includes(part));
    if (text === '' || parts.some((part) => part.includes(text))) {
      // Said already.
    } else if (wider !== -1) {
      parts.splice(wider, parts.length - wider, text);
    } else {
      parts.push(text);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(': ');
}
