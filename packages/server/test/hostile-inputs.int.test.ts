import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompatSession } from './support/compat-session.js';
import { rawRequest, type RawResponse } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

/**
 * Hundreds of generated malformed bodies and hostile inputs. Every one must get a 4xx
 * (or, on the original API, a FAIL) with a message that names the problem — for field
 * mutations, an issue at the JSON path that was broken — and the server must keep serving.
 */

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const MAX_JSON = 64 * 1024;

let t: TestServer;
let hash: string;
let compat: CompatSession;

beforeAll(async () => {
  t = await startTestServer({
    settings: {
      maxJsonBytes: MAX_JSON,
      maxBlobBytes: 256 * 1024,
      imagePatterns: ['kolejka-test/.*'],
    },
  });
  const content = 'echo hostile\n';
  hash = sha256(content);
  const upload = await rawRequest({
    method: 'PUT',
    url: `${t.url}/api/v1/blobs/${hash}`,
    headers: { Authorization: `Bearer ${t.users.alice?.token ?? ''}` },
    body: content,
  });
  expect(upload.status).toBe(201);
  compat = new CompatSession(t.url);
  await compat.login('alice', TEST_PASSWORD);
});
afterAll(async () => {
  await t.close();
});

function validTask(): Record<string, unknown> {
  return {
    image: 'kolejka-test/busybox:latest',
    args: ['sh', 'run.sh'],
    environment: { GREETING: 'hi' },
    requires: ['cpu:x'],
    exclusive: false,
    limits: { memory: '64M', time: '10s', cpus: 1 },
    files: { 'run.sh': { reference: hash } },
    collect: [{ glob: 'out/*.txt', strip: 1, prefix: 'res' }],
    stdin: 'in.txt',
    stdout: 'out.txt',
    stderr: 'err.txt',
  };
}

/** Sets the value at a JSON Pointer (creating objects on the way). */
function setAt(document: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.slice(1).split('/');
  let node: Record<string, unknown> = document;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) ?? ''] = value;
}

interface HostileCase {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The JSON Pointer an issue must name (field mutations). */
  pointer?: string;
  /** The statuses allowed (default: 400). */
  statuses?: number[];
  /** A word the message must contain. */
  mentions?: string;
}

const STRINGS_FIELDS = ['/image', '/stdin', '/stdout', '/stderr', '/callback_url'];
const ARRAY_FIELDS = ['/args', '/requires', '/collect'];
const OBJECT_FIELDS = ['/limits', '/environment', '/files'];
const NOT_STRING = [5, true, [], {}, 1.5, [['nested']]];
const NOT_ARRAY = ['text', 5, true, {}, 0];
const NOT_OBJECT = ['text', 5, true, [], [1, 2]];
const BAD_PATHS = [
  '../escape',
  '/absolute',
  'a//b',
  'a/./b',
  'trailing/',
  'nul\u0000byte',
  '.',
  '..',
];
const LIMIT_VALUES: Record<string, unknown[]> = {
  count: ['abc', -1, '1.5', true, [], {}, '12 cpus', 1e300, '-3', 'Infinity'],
  memory: ['64Mi', '-1M', 'abc', true, [], {}, '1 GiB', 'M', 1e300, 'inf'],
  time: ['1sec', 'abc', -5, true, [], {}, '1 min', 's', '1e400', 'nan'],
  bigint: ['1Gi', 'abc', -1, true, [], {}, '1.5x', 'K'],
};
const LIMITS = {
  cpus: 'count',
  pids: 'count',
  gpus: 'count',
  cpus_offset: 'count',
  cgroup_depth: 'count',
  cgroup_descendants: 'count',
  memory: 'memory',
  swap: 'memory',
  storage: 'memory',
  image: 'memory',
  workspace: 'memory',
  time: 'time',
  perf_instructions: 'bigint',
  perf_cycles: 'bigint',
} as const;

function mutations(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (pointer: string, value: unknown, reportedAt = pointer): void => {
    const task = validTask();
    setAt(task, pointer, value);
    cases.push({
      name: `task ${pointer} = ${JSON.stringify(value)?.slice(0, 40)}`,
      body: JSON.stringify({ task }),
      pointer: `/task${reportedAt}`.replace(/\/task$/, '/task'),
    });
  };
  for (const field of STRINGS_FIELDS) for (const value of NOT_STRING) add(field, value);
  for (const field of ARRAY_FIELDS) for (const value of NOT_ARRAY) add(field, value);
  for (const field of OBJECT_FIELDS) for (const value of NOT_OBJECT) add(field, value);
  // Numbers and booleans are fine in args (the original turns them into text).
  for (const value of [[], {}, null, [['deep']]]) add('/args/0', value);
  for (const value of [5, true, [], {}, null]) add('/requires/0', value);
  for (const value of ['x', 5, null, [], true]) add('/collect/0', value);
  for (const value of [5, true, [], {}, null]) add('/collect/0/glob', value);
  for (const value of ['x', -1, true, [], {}, '1.5']) add('/collect/0/strip', value);
  for (const value of [5, true, [], {}]) add('/collect/0/prefix', value);
  for (const value of [[], {}, null]) add('/environment/KEY', value);
  for (const value of [5, true, []]) add('/files/run.sh', value);
  for (const value of [5, true, [], {}]) add('/files/run.sh/reference', value);
  for (const value of [5, true, [], {}]) add('/files/run.sh/path', value);
  for (const value of [
    '',
    'zzz',
    'A'.repeat(64),
    'a'.repeat(63),
    'a'.repeat(65),
    `${hash} `,
    '../../etc/passwd',
    'f'.repeat(32),
  ])
    add('/files/run.sh/reference', value);
  for (const value of [[], {}, [true]]) add('/exclusive', value);
  for (const value of [true, [], {}]) add('/id', value);
  for (const [name, kind] of Object.entries(LIMITS)) {
    for (const value of LIMIT_VALUES[kind] ?? []) add(`/limits/${name}`, value);
  }
  for (const value of [[], {}]) add('/limits/network', value);
  for (const value of BAD_PATHS) {
    add('/stdout', value);
    add('/stdin', value);
    add('/collect/0/glob', value);
    const task = validTask();
    task.files = { [value]: { reference: hash } };
    cases.push({
      name: `file name ${JSON.stringify(value)}`,
      body: JSON.stringify({ task }),
      pointer: '/task/files',
    });
  }
  for (const value of [
    'ftp://localhost/x',
    'not a url',
    'http://evil.example/x',
    'javascript:alert(1)',
    'http://[::1',
    'file:///etc/passwd',
  ])
    add('/callback_url', value);
  // Server policy: images, text a container cannot take, sizes.
  for (const value of ['docker.io/evil', 'x'.repeat(600), 'with space', 'nul\u0000image', ''])
    add('/image', value);
  for (const value of ['', 'A=B', 'nul\u0000key']) {
    const task = validTask();
    task.environment = { [value]: 'x' };
    cases.push({
      name: `environment name ${JSON.stringify(value)}`,
      body: JSON.stringify({ task }),
      pointer: '/task/environment',
    });
  }
  add('/environment/KEY', 'nul\u0000value');
  add('/args/1', 'nul\u0000arg');
  add('/args', []);
  add('/requires/0', 'nul\u0000tag');
  return cases;
}

function jsonSyntax(): HostileCase[] {
  const bodies = [
    '',
    ' ',
    '{',
    '{"task": ',
    '{"task": {}',
    "{'task': {}}",
    '{"task": {},}',
    '{"task": NaN}',
    '{"task": Infinity}',
    '{"task": undefined}',
    '// comment\n{"task": {}}',
    '{"task": {}} trailing',
    'null',
    '[]',
    '"text"',
    '123',
    'true',
    '{"task": "\\x41"}',
    '{"task": "\\ud800"}',
    '{"\\udfff": 1, "task": {}}',
    '{"__proto__": {"admin": true}, "task": {}}',
    `{"task": ${'['.repeat(100)}${']'.repeat(100)}}`,
    `{"task": ${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`,
    '{"task": {"image": "x", "args": ["a"]}, "priority": 1e400}',
    '{"task": {"image": "x", "args": ["a"]}, "priority": 1.5}',
    '{"task": {"image": "x", "args": ["a"]}, "priority": "high"}',
    '{"task": {"image": "x", "args": ["a"]}, "priority": 100000}',
    '{"task": null}',
    '{}',
  ];
  const cases: HostileCase[] = bodies.map((body) => ({
    name: `json ${JSON.stringify(body).slice(0, 50)}`,
    body,
  }));
  cases.push(
    {
      name: 'invalid UTF-8',
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      mentions: 'UTF-8',
    },
    { name: 'UTF-16 body', body: Buffer.from('{"task": {}}', 'utf16le') },
    {
      name: 'oversized body',
      body: `{"task": {"image": "${'x'.repeat(MAX_JSON)}"}}`,
      statuses: [413],
    },
    {
      name: 'oversized declared length',
      body: '{}',
      headers: { 'Content-Length': String(10 * MAX_JSON) },
      statuses: [413],
    },
  );
  return cases;
}

function contentTypes(): HostileCase[] {
  const body = JSON.stringify({ task: validTask() });
  return [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
    'application/jsonp',
    'json',
    '',
  ].map((type): HostileCase => ({
    name: `content type ${JSON.stringify(type)}`,
    body,
    headers: type === '' ? {} : { 'Content-Type': type },
    statuses: [415],
    mentions: 'Content-Type',
  }));
}

function urlsAndHeaders(): HostileCase[] {
  const token = `Bearer ${t.users.alice?.token ?? ''}`;
  const get = (
    path: string,
    statuses: number[],
    headers: Record<string, string> = {},
  ): HostileCase => ({
    name: `GET ${path} ${JSON.stringify(headers)}`.slice(0, 90),
    method: 'GET',
    path,
    headers: { Authorization: token, ...headers },
    statuses,
  });
  return [
    get('/api/v1/blobs/..%2F..%2Fetc%2Fpasswd', [400]),
    // WHATWG URL parsing turns %2e%2e into .. and resolves it: GET /api/v1/ arrives.
    get('/api/v1/blobs/%2e%2e', [400, 404]),
    get(`/api/v1/blobs/${'A'.repeat(64)}`, [400]),
    get(`/api/v1/blobs/${'a'.repeat(10_000)}`, [400]),
    get('/api/v1/blobs/%E0%A4%A', [400]),
    get('/api/v1/tasks/%00', [404]),
    get('/api/v1/tasks/..%2F..%2F', [404]),
    get(`/api/v1/tasks/${'a'.repeat(32)}`, [404]),
    get('/api/v1/tasks?limit=1e999', [400]),
    get('/api/v1/tasks?limit=-1', [400]),
    get('/api/v1/tasks?limit=abc', [400]),
    get('/api/v1/tasks?state=exploded', [400]),
    get('/api/v1/tasks?createdAfter=yesterday', [400]),
    get('/api/v1/tasks?createdBefore=2024-13-45', [400]),
    get('/api/v1/tasks?owner=a&owner=b', [400]),
    get('/api/v1/tasks?cursor=%00%01', [400]),
    get(`/api/v1/tasks?cursor=${'x'.repeat(600)}`, [400]),
    get(`/api/v1/blobs/${hash}`, [416], { Range: 'bytes=100-50' }),
    get(`/api/v1/blobs/${hash}`, [416], { Range: 'bytes=0-1,4-5' }),
    get(`/api/v1/blobs/${hash}`, [416], { Range: 'bytes=-0' }),
    get(`/api/v1/blobs/${hash}`, [416], { Range: 'bytes=999999-' }),
    get(`/api/v1/blobs/${hash}`, [416], { Range: 'bytes=abc' }),
    get('/api/v1/me', [401], { Authorization: 'Bearer ' + 'x'.repeat(5000) }),
    get('/api/v1/me', [401], { Authorization: 'Basic YWxpY2U6cGFzcw==' }),
    get('/api/v1/me', [401], { Authorization: 'Bearer a b c' }),
    {
      name: 'blob PUT with a wrong hash',
      method: 'PUT',
      path: `/api/v1/blobs/${sha256('other')}`,
      headers: { Authorization: token },
      body: 'not other',
      mentions: 'hash',
    },
    {
      name: 'blob upload above the limit',
      method: 'POST',
      path: '/api/v1/blobs',
      headers: { Authorization: token },
      body: Buffer.alloc(300 * 1024, 1),
      statuses: [413],
    },
    {
      name: 'token request with an object password',
      method: 'POST',
      path: '/api/v1/tokens',
      headers: { 'Content-Type': 'application/json' },
      body: '{"username": "alice", "password": {"$ne": null}}',
      pointer: '/password',
    },
    {
      name: 'token request with a huge user name',
      method: 'POST',
      path: '/api/v1/tokens',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'a'.repeat(5000), password: 'x' }),
      pointer: '/username',
    },
  ];
}

function resultBodies(key: string): HostileCase[] {
  const values: [string, unknown][] = [
    ['/attempt', 'one'],
    ['/attempt', 0],
    ['/attempt', -1],
    ['/attempt', 1.5],
    ['/attempt', 1e300],
    ['/result', undefined],
    ['/result/result', 'zero'],
    ['/result/result', 1.5e300],
    ['/result/tags', 'a,b'],
    ['/result/tags/0', 5],
    ['/result/stats', 'fast'],
    ['/result/stats/time', 'long'],
    ['/result/stats/memory/max_usage', '1Mi'],
    ['/result/stats/cpus/0/usage', -1],
    ['/result/limits/memory', '64Mi'],
    ['/result/files/../x', { reference: hash }],
    ['/result/files/out', 5],
    ['/result/files/out/reference', 'nope'],
    ['/result/termination/reason', 'exploded'],
    ['/result/stdout', '../../etc/passwd'],
  ];
  return values.map(([pointer, value]) => {
    const body: Record<string, unknown> = { attempt: 1, result: { id: key, files: {} } };
    if (value === undefined) delete body.result;
    else setAt(body, pointer, value);
    return {
      name: `result ${pointer} = ${JSON.stringify(value)}`,
      method: 'PUT',
      path: `/api/v1/tasks/${key}/result`,
      headers: {
        Authorization: `Bearer ${t.users.foreman?.token ?? ''}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
      statuses: [400],
      pointer: pointer.startsWith('/result/files/') ? '/result/files' : pointer,
    };
  });
}

async function send(hostile: HostileCase): Promise<RawResponse> {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${t.users.alice?.token ?? ''}`,
    'Content-Type': 'application/json',
    ...(hostile.headers ?? {}),
  };
  if (
    hostile.headers !== undefined &&
    !('Content-Type' in hostile.headers) &&
    hostile.name.startsWith('content type')
  )
    delete headers['Content-Type'];
  try {
    return await rawRequest({
      method: hostile.method ?? 'POST',
      url: `${t.url}${hostile.path ?? '/api/v1/tasks'}`,
      headers,
      ...(hostile.body === undefined ? {} : { body: hostile.body }),
    });
  } catch (error) {
    // A 413 may close the connection while the client is still sending.
    if (hostile.statuses?.includes(413))
      return {
        status: 413,
        headers: {},
        body: Buffer.alloc(0),
        text: '',
        json: { error: { code: 'KOLEJKA_TOO_LARGE', message: 'closed' } },
      };
    throw error;
  }
}

/** Why a response does not meet the case, or undefined when it does. */
function judge(hostile: HostileCase, response: RawResponse): string | undefined {
  const statuses = hostile.statuses ?? [400];
  if (!statuses.includes(response.status))
    return `status ${response.status}: ${response.text.slice(0, 200)}`;
  if (response.status >= 500) return 'server error';
  const error = (
    response.json as
      | { error?: { code?: string; message?: string; details?: { issues?: { path: string }[] } } }
      | undefined
  )?.error;
  if (error?.code === undefined || !error.message)
    return `no error body: ${response.text.slice(0, 200)}`;
  if (hostile.mentions !== undefined && !error.message.includes(hostile.mentions))
    return `message does not mention ${hostile.mentions}: ${error.message}`;
  if (hostile.pointer !== undefined) {
    const paths = (error.details?.issues ?? []).map((issue) => issue.path);
    if (
      !paths.some(
        (path) =>
          path.startsWith(hostile.pointer ?? '') ||
          ((hostile.pointer ?? '').startsWith(path) && path !== ''),
      )
    )
      return `no issue at ${hostile.pointer}: ${error.message}`;
  }
  return undefined;
}

describe('hostile inputs', () => {
  let count = 0;

  async function runAll(cases: HostileCase[]): Promise<void> {
    const problems: string[] = [];
    for (const hostile of cases) {
      const response = await send(hostile);
      count++;
      const problem = judge(hostile, response);
      if (problem !== undefined) problems.push(`${hostile.name}: ${problem}`);
    }
    if (problems.length > 0) console.log(problems.join('\n'));
    expect(problems).toEqual([]);
  }

  it('refuses every field of a task given the wrong type, a bad value or an unsafe path', async () => {
    await runAll(mutations());
  });

  it('refuses broken JSON, odd Unicode, deep nesting and oversized bodies', async () => {
    await runAll(jsonSyntax());
  });

  it('refuses wrong content types', async () => {
    await runAll(contentTypes());
  });

  it('refuses hostile URLs, queries and headers', async () => {
    await runAll(urlsAndHeaders());
  });

  it('refuses malformed results', async () => {
    const created = await rawRequest({
      method: 'POST',
      url: `${t.url}/api/v1/tasks`,
      headers: {
        Authorization: `Bearer ${t.users.alice?.token ?? ''}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ task: validTask() }),
    });
    const key = (created.json as { key: string }).key;
    await t.store.claimTask(key, {
      assignee: 'foreman',
      leaseExpiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
    });
    await runAll(resultBodies(key));
  });

  it('answers the original API with FAIL (or 4xx) for the same task mutations', async () => {
    const problems: string[] = [];
    for (const hostile of [...mutations(), ...jsonSyntax()]) {
      let body = hostile.body;
      // The original API takes the task itself, not {"task": …}.
      if (
        hostile.name.startsWith('task ') ||
        hostile.name.startsWith('file name') ||
        hostile.name.startsWith('environment name')
      ) {
        body = JSON.stringify((JSON.parse(String(body)) as { task: unknown }).task);
      }
      let response: RawResponse;
      try {
        response = await compat.send('POST', '/task/task/', body, hostile.headers ?? {});
      } catch (error) {
        if (hostile.statuses?.includes(413)) continue;
        throw error;
      }
      count++;
      const envelope = response.json as { status?: string; message?: string } | undefined;
      const isFail = response.status === 200 && envelope?.status === 'FAIL' && !!envelope.message;
      const isRefused = response.status === 413 || response.status === 403;
      if (!(isFail || isRefused))
        problems.push(`${hostile.name}: ${response.status} ${response.text.slice(0, 150)}`);
      if (response.status === 200 && response.headers['content-type'] !== 'application/json')
        problems.push(`${hostile.name}: content type ${String(response.headers['content-type'])}`);
    }
    if (problems.length > 0) console.log(problems.join('\n'));
    expect(problems).toEqual([]);
  });

  it('refuses malformed dequeue requests with FAIL', async () => {
    const foreman = new CompatSession(t.url);
    await foreman.login('foreman', TEST_PASSWORD);
    const bodies = [
      '',
      'nonsense',
      '[]',
      '{"concurency": "many"}',
      '{"concurency": 0}',
      '{"concurency": -5}',
      '{"concurency": 1.5}',
      '{"limits": "all"}',
      '{"limits": {"memory": "lots"}}',
      '{"limits": {"cpus": -1}}',
      '{"tags": "a,b"}',
      '{"tags": [1, 2]}',
      `{"tags": ${'['.repeat(80)}${']'.repeat(80)}}`,
    ];
    const problems: string[] = [];
    for (const body of bodies) {
      const response = await foreman.post('/queue/dequeue/', body);
      count++;
      const envelope = response.json as { status?: string; message?: string } | undefined;
      if (!(response.status === 200 && envelope?.status === 'FAIL' && envelope.message))
        problems.push(`${body}: ${response.status} ${response.text}`);
    }
    if (problems.length > 0) console.log(problems.join('\n'));
    expect(problems).toEqual([]);
  });

  it('has tried more than 500 inputs and still serves', async () => {
    expect(count).toBeGreaterThan(500);
    const health = await rawRequest({ method: 'GET', url: `${t.url}/healthz` });
    expect(health.status).toBe(200);
    const created = await rawRequest({
      method: 'POST',
      url: `${t.url}/api/v1/tasks`,
      headers: {
        Authorization: `Bearer ${t.users.alice?.token ?? ''}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ task: validTask() }),
    });
    expect(created.status).toBe(201);
    // No hostile input made it into the store: only the valid tasks exist.
    const stats = await t.store.countTasksByState();
    expect(Object.values(stats).reduce((a, b) => a + b, 0)).toBe(2);
  });
});
