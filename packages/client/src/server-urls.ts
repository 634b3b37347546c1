import { KolejkaError } from '@kolejka/spec';

/**
 * The base URLs of one Kolejka system, from an array or a comma-separated list. A bare
 * host gets `https://` (as the original client does); the result has no trailing slash,
 * so `${base}/api/v1/…` works for servers mounted below a path too.
 */
export function parseServerUrls(value: string | readonly string[]): string[] {
  const items = (typeof value === 'string' ? [value] : [...value])
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      'No Kolejka server given: set --server, KOLEJKA_SERVER or "server" in the config file',
    );
  }
  const urls = items.map(parseServerUrl);
  return [...new Set(urls)];
}

function parseServerUrl(item: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(item) ? item : `https://${item}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `${JSON.stringify(item)} is not a server URL`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(item)} is not an http:// or https:// URL`,
    );
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(item)}: give the server's base URL without a query, fragment or credentials`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `ws://` or `wss://` URL of a path on a server. */
export function webSocketUrl(server: string, path: string): string {
  return `${server.replace(/^http/, 'ws')}${path}`;
}
