import { describe, expect, it } from 'vitest';
import {
  FOREMAN_PROTOCOL_VERSIONS,
  KolejkaError,
  MAX_MESSAGE_BYTES,
  RESULTS_IN_FINISHED_PROTOCOL,
  SCHEMAS,
  parseEventsClientMessage,
  parseEventsServerMessage,
  parseForemanMessage,
  parseServerMessage,
  schemaIssues,
} from '../src/index.js';
import { type SchemaName } from '../src/validator.js';

const KEY = '0123456789abcdef0123456789abcdef';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KolejkaError);
    return (error as KolejkaError).issues;
  }
  throw new Error('expected an error');
}

describe('schemas', () => {
  it('all compile side by side in one validator', () => {
    for (const name of Object.keys(SCHEMAS) as SchemaName[])
      expect(() => schemaIssues(name, {})).not.toThrow();
  });
});

describe('foreman messages', () => {
  const valid = [
    {
      type: 'foreman:hello',
      protocols: [1],
      foremanId: 'node-1',
      version: '0.1.0',
      tags: ['cpu:intel', 'hostname:node-1'],
      capacity: { cpus: 8, memory: '16G', time: '10M' },
      running: [{ key: KEY, attempt: 2 }],
    },
    { type: 'foreman:heartbeat', running: [] },
    { type: 'task:accepted', key: KEY, attempt: 1 },
    { type: 'task:rejected', key: KEY, attempt: 1, reason: 'image missing' },
    { type: 'task:started', key: KEY, attempt: 1 },
    { type: 'task:finished', key: KEY, attempt: 1 },
    {
      type: 'task:finished',
      key: KEY,
      attempt: 1,
      result: {
        id: KEY,
        result: 0,
        tags: [],
        limits: { time: '1.0s' },
        stats: {},
        files: { 'out.txt': { reference: 'f'.repeat(64) } },
      },
    },
    { type: 'task:failed', key: KEY, attempt: 1, reason: 'disk full' },
  ];

  it.each(valid)('$type parses from text and from a value', (message) => {
    expect(parseForemanMessage(JSON.stringify(message))).toEqual(message);
    expect(parseForemanMessage(Buffer.from(JSON.stringify(message)))).toEqual(message);
  });

  it('names the field that is wrong, only for the branch of the message type', () => {
    const issues = issuesOf(() =>
      parseForemanMessage({ type: 'task:accepted', key: 'nope', attempt: -1 }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(['/attempt', '/key']);
    const hello = issuesOf(() =>
      parseForemanMessage({ ...valid[0], capacity: { memory: '16Gi' } }),
    );
    expect(hello).toEqual([
      { path: '/capacity/memory', message: expect.stringContaining('unknown suffix "Gi"') },
    ]);
  });

  it('carries a result in task:finished only as an object, from protocol 2 on', () => {
    expect(FOREMAN_PROTOCOL_VERSIONS).toContain(RESULTS_IN_FINISHED_PROTOCOL);
    expect(RESULTS_IN_FINISHED_PROTOCOL).toBeGreaterThan(1);
    for (const result of ['0', 0, [], null])
      expect(
        issuesOf(() =>
          parseForemanMessage({ type: 'task:finished', key: KEY, attempt: 1, result }),
        ),
      ).toEqual([{ path: '/result', message: 'must be object' }]);
  });

  it('refuses unknown types, missing types, garbage and huge messages clearly', () => {
    expect(issuesOf(() => parseForemanMessage({ type: 'task:explode' }))[0]?.message).toMatch(
      /unknown type "task:explode"/,
    );
    expect(issuesOf(() => parseForemanMessage({}))[0]?.message).toMatch(/type/);
    expect(issuesOf(() => parseForemanMessage('{not json'))[0]?.message).toMatch(/not valid JSON/);
    expect(issuesOf(() => parseForemanMessage('[]'))[0]?.message).toMatch(/must be object/);
    expect(() => parseForemanMessage('x'.repeat(MAX_MESSAGE_BYTES + 1))).toThrow(/exceeds/);
    // A server message is not a foreman message.
    expect(() => parseForemanMessage({ type: 'foreman:drain', draining: true })).toThrow(
      KolejkaError,
    );
  });
});

describe('server messages', () => {
  it('parse welcome, assign with a full task, cancel, drain and error', () => {
    const messages = [
      {
        type: 'server:welcome',
        protocol: 1,
        serverId: 's1',
        heartbeatIntervalMs: 5000,
        leaseMs: 30000,
        kept: [],
        dropped: [{ key: KEY, attempt: 1 }],
        draining: false,
      },
      {
        type: 'task:assign',
        key: KEY,
        attempt: 3,
        leaseExpiresAt: '2026-11-22T10:00:00.000Z',
        task: {
          image: 'kolejka-test/busybox:latest',
          args: ['true'],
          files: { a: { reference: 'f'.repeat(64) } },
        },
        limits: { cpus: 1, memory: '67108864b', time: '1.0s' },
      },
      { type: 'task:cancel', key: KEY, attempt: 3, reason: 'cancelled by alice' },
      { type: 'foreman:drain', draining: true },
      { type: 'error', code: 'KOLEJKA_VALIDATION', message: 'bad', details: { issues: [] } },
    ];
    for (const message of messages)
      expect(parseServerMessage(JSON.stringify(message))).toEqual(message);
  });

  it('checks the task inside an assignment with the task rules', () => {
    const issues = issuesOf(() =>
      parseServerMessage({
        type: 'task:assign',
        key: KEY,
        attempt: 1,
        leaseExpiresAt: 'x',
        task: { files: { '../x': { reference: 'r' } } },
        limits: {},
      }),
    );
    expect(issues).toEqual([
      { path: '/task/files/..~1x', message: expect.stringContaining('".."') },
    ]);
  });
});

describe('events messages', () => {
  it('parse subscriptions and updates', () => {
    expect(parseEventsClientMessage({ type: 'events:subscribe', tasks: [KEY] })).toEqual({
      type: 'events:subscribe',
      tasks: [KEY],
    });
    expect(parseEventsClientMessage({ type: 'events:unsubscribe', mine: true }).type).toBe(
      'events:unsubscribe',
    );
    expect(parseEventsClientMessage({ type: 'events:subscribe', all: true })).toEqual({
      type: 'events:subscribe',
      all: true,
    });
    expect(() => parseEventsClientMessage({ type: 'events:subscribe', all: 'yes' })).toThrow(/all/);
    const subscribed = {
      type: 'events:subscribed',
      tasks: [],
      mine: false,
      all: true,
      refused: [],
    };
    expect(parseEventsServerMessage(subscribed)).toEqual(subscribed);
    const update = {
      type: 'task:updated',
      key: KEY,
      state: 'finished',
      attempt: 1,
      at: '2026-11-22T10:00:00.000Z',
      result: `/api/v1/tasks/${KEY}/result`,
    };
    expect(parseEventsServerMessage(update)).toEqual(update);
    const deleted = { ...update, state: 'cancelled', deleted: true, result: undefined };
    delete deleted.result;
    expect(parseEventsServerMessage(deleted)).toEqual(deleted);
    expect(() => parseEventsServerMessage({ ...deleted, deleted: 'yes' })).toThrow(/deleted/);
    expect(() => parseEventsServerMessage({ ...update, state: 'done' })).toThrow(
      /state must be one of/,
    );
    expect(() =>
      parseEventsClientMessage({ type: 'events:subscribe', tasks: ['../../etc'] }),
    ).toThrow(/tasks\[0\]/);
  });
});
