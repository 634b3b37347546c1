/** A scripted `fetch` for unit tests of the transport (the injected seam). */
export type Handler = (url: string, init: RequestInit) => Promise<Response> | Response;

export interface FakeFetch {
  fetch: typeof globalThis.fetch;
  calls: { url: string; method: string; headers: Record<string, string> }[];
}

export function fakeFetch(handler: Handler): FakeFetch {
  const calls: FakeFetch['calls'] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    calls.push({
      url,
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers).entries()),
    });
    return handler(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** What undici throws when nothing listens. */
export function refused(url: string): TypeError {
  return Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error(`connect ECONNREFUSED ${new URL(url).host}`), {
      code: 'ECONNREFUSED',
    }),
  });
}

/** What undici throws when a connection breaks mid-request. */
export function reset(): TypeError {
  return Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  });
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** Never answers; rejects when the request is aborted (as fetch does). */
export function hang(init: RequestInit): Promise<Response> {
  return new Promise((_resolve, reject) => {
    // As fetch: an already aborted signal rejects at once.
    const fail = (): void => reject(init.signal?.reason as Error);
    if (init.signal?.aborted === true) fail();
    init.signal?.addEventListener('abort', fail, { once: true });
  });
}
