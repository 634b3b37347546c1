import { describe, expect, it } from 'vitest';
import { KolejkaClient, KolejkaServerError } from '../src/index.js';
import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import { fakeFetch, hang, json, refused, reset, type Handler } from './support/fake-fetch.js';
import { failure } from './support/failure.js';

const A = 'http://a.test:8000';
const B = 'http://b.test:8000';
const task = (key: string) => ({
  key,
  owner: 'alice',
  state: 'queued',
  priority: 0,
  attempt: 0,
  maxAttempts: 3,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  spec: { requires: [], limits: {}, environment: {}, args: ['true'], files: {}, collect: [] },
});
const KEY = 'a'.repeat(32);

function client(
  handler: Handler,
  options: Partial<ConstructorParameters<typeof KolejkaClient>[0]> = {},
) {
  const fake = fakeFetch(handler);
  const kolejka = new KolejkaClient({
    server: [A, B],
    token: 'secret',
    fetch: fake.fetch,
    retries: 2,
    retryBaseMs: 1,
    retryMaxMs: 2,
    ...options,
  });
  return { kolejka, calls: fake.calls };
}

describe('errors from the server', () => {
  it('rebuilds a KolejkaError from the body, keeping code, message and details', async () => {
    const { kolejka } = client(() =>
      json(409, {
        error: {
          code: 'KOLEJKA_CONFLICT',
          message: 'Task is already finished',
          details: { state: 'finished' },
        },
      }),
    );
    const error = await failure(kolejka.cancelTask(KEY));
    expect(error).toBeInstanceOf(KolejkaServerError);
    expect(error).toMatchObject({
      code: 'KOLEJKA_CONFLICT',
      message: 'Task is already finished',
      details: { state: 'finished' },
      status: 409,
      url: `${A}/api/v1/tasks/${KEY}/cancel`,
    });
  });

  it('maps a status without an API body to a code and shows the body', async () => {
    const { kolejka } = client(
      () => new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const error = await failure(kolejka.cancelTask(KEY));
    expect(error.code).toBe('KOLEJKA_UNAVAILABLE');
    expect(error.message).toBe(
      `POST ${A}/api/v1/tasks/${KEY}/cancel answered HTTP 502 Bad Gateway: <h1>Bad gateway</h1>`,
    );
  });

  it('sends the token as a bearer header', async () => {
    const { kolejka, calls } = client(() => json(200, task(KEY)));
    await kolejka.getTaskRecord(KEY);
    expect(calls[0]?.headers.authorization).toBe('Bearer secret');
    expect(calls[0]?.headers['user-agent']).toMatch(/^kolejka-client\//);
  });
});

describe('failover and retries', () => {
  it('fails over to the next URL and keeps using the one that answered', async () => {
    const { kolejka, calls } = client((url) => {
      if (url.startsWith(A)) throw refused(url);
      return json(200, task(KEY));
    });
    await kolejka.getTaskRecord(KEY);
    await kolejka.getTaskRecord(KEY);
    expect(calls.map((call) => new URL(call.url).host)).toEqual([
      'a.test:8000',
      'b.test:8000',
      'b.test:8000',
    ]);
    expect(kolejka.servers).toEqual([B, A]);
  });

  it('gives up after the retry rounds, naming every URL tried', async () => {
    const { kolejka, calls } = client((url) => {
      throw refused(url);
    });
    const error = await failure(kolejka.getTaskRecord(KEY));
    expect(error.code).toBe('KOLEJKA_UNAVAILABLE');
    expect(error.message).toContain(`${A} (connect ECONNREFUSED a.test:8000)`);
    expect(error.message).toContain(`${B} (connect ECONNREFUSED b.test:8000)`);
    expect(error.message).toContain('after 3 tries');
    expect((error.details as { urls: string[] }).urls).toEqual([
      `${A}/api/v1/tasks/${KEY}`,
      `${B}/api/v1/tasks/${KEY}`,
    ]);
    expect(calls).toHaveLength(6);
  });

  it('retries an idempotent request after 503 on the other server', async () => {
    let count = 0;
    const { kolejka, calls } = client(() => {
      count += 1;
      return count === 1
        ? json(503, { error: { code: 'KOLEJKA_UNAVAILABLE', message: 'store down' } })
        : json(200, task(KEY));
    });
    expect((await kolejka.getTaskRecord(KEY)).key).toBe(KEY);
    expect(calls.map((call) => new URL(call.url).host)).toEqual(['a.test:8000', 'b.test:8000']);
  });

  it('returns the last server error when every try answered 503', async () => {
    const { kolejka, calls } = client(() =>
      json(503, { error: { code: 'KOLEJKA_UNAVAILABLE', message: 'store down' } }),
    );
    const error = await failure(kolejka.getTaskRecord(KEY));
    expect(error).toBeInstanceOf(KolejkaServerError);
    expect(error.message).toBe('store down');
    expect(calls).toHaveLength(6);
  });

  it('never resends a submission that may have arrived (connection reset)', async () => {
    const { kolejka, calls } = client(() => {
      throw reset();
    });
    const error = await failure(kolejka.cancelTask(KEY));
    expect(error.code).toBe('KOLEJKA_UNAVAILABLE');
    expect(error.message).toContain('not safe to repeat blindly');
    expect(calls).toHaveLength(1);
  });

  it('resends a submission that never left (connection refused) to the next server', async () => {
    const { kolejka, calls } = client((url) => {
      if (url.startsWith(A)) throw refused(url);
      return json(200, { ...task(KEY), state: 'cancelled' });
    });
    expect((await kolejka.cancelTask(KEY)).state).toBe('cancelled');
    expect(calls).toHaveLength(2);
  });

  it('reports KOLEJKA_TIMEOUT when no server answers in time', async () => {
    const { kolejka, calls } = client((_url, init) => hang(init), {
      requestTimeoutMs: 30,
      retries: 0,
    });
    const error = await failure(kolejka.getTaskRecord(KEY));
    expect(error.code).toBe('KOLEJKA_TIMEOUT');
    expect(error.message).toContain('did not answer GET /api/v1/tasks/');
    expect(calls).toHaveLength(2);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    const { kolejka } = client((_url, init) => hang(init));
    const pending = kolejka.getTaskRecord(KEY, { signal: controller.signal });
    controller.abort();
    expect((await failure(pending)).code).toBe('KOLEJKA_CANCELLED');
  });

  it('logs in again after a 401 when it has a password', async () => {
    let tokens = 0;
    const { kolejka, calls } = client(
      (url, init) => {
        if (url.endsWith('/api/v1/tokens')) {
          tokens += 1;
          return json(201, {
            id: `t${tokens}`,
            token: `token-${tokens}`,
            username: 'alice',
            roles: ['client'],
            createdAt: '',
          });
        }
        const authorization = new Headers(init.headers).get('authorization');
        return authorization === 'Bearer token-2'
          ? json(200, task(KEY))
          : json(401, { error: { code: 'KOLEJKA_UNAUTHORIZED', message: 'Token revoked' } });
      },
      { token: undefined, username: 'alice', password: 'pw' },
    );
    expect((await kolejka.getTaskRecord(KEY)).key).toBe(KEY);
    expect(tokens).toBe(2);
    expect(calls.map((call) => `${call.method} ${new URL(call.url).pathname}`)).toEqual([
      'POST /api/v1/tokens',
      `GET /api/v1/tasks/${KEY}`,
      'POST /api/v1/tokens',
      `GET /api/v1/tasks/${KEY}`,
    ]);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the maximum, with full jitter', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((round) => backoffDelayMs(policy, round, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(400);
  });
});

describe('options', () => {
  it('takes servers as a list or comma-separated, adding https:// to bare hosts', () => {
    const kolejka = new KolejkaClient({
      server: ' http://a:1/, kolejka.example/base/ ,http://a:1',
    });
    expect(kolejka.options.servers).toEqual(['http://a:1', 'https://kolejka.example/base']);
    expect(() => new KolejkaClient({ server: ' , ' })).toThrow(/No Kolejka server given/);
    expect(() => new KolejkaClient({ server: 'ftp://x' })).toThrow(/not an http/);
    expect(() => new KolejkaClient({ server: 'http://a', retries: -1 })).toThrow(/retries/);
  });
});
