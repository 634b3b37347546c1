import { describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import { hashPassword, verifyPassword } from '../src/accounts/passwords.js';
import { newCookieSecret, newUuidHex } from '../src/accounts/tokens.js';
import { djangoTime } from '../src/compat/envelope.js';
import { parseDequeueRequest } from '../src/compat/queue-routes.js';
import { MAX_JSON_DEPTH, parseJsonBody } from '../src/http/body.js';
import { parseRange } from '../src/blobs/range-header.js';

describe('passwords', () => {
  it('hashes with scrypt and verifies', async () => {
    const hash = await hashPassword('hunter2');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w+/=]+\$[\w+/=]+$/);
    expect(await verifyPassword('hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter3', hash)).toBe(false);
    expect(await hashPassword('hunter2')).not.toBe(hash);
  });

  it('refuses missing, malformed and empty', async () => {
    expect(await verifyPassword('x', undefined)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1$2$3$$')).toBe(false);
    await expect(hashPassword('')).rejects.toThrow(KolejkaError);
  });
});

describe('identifiers', () => {
  it('makes uuid4 hex keys and cookie secrets', () => {
    expect(newUuidHex()).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(newCookieSecret()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(newCookieSecret()).not.toBe(newCookieSecret());
  });
});

describe('djangoTime', () => {
  it('writes milliseconds only when there are some, with Z', () => {
    expect(djangoTime(new Date('2023-07-31T10:11:12.345Z'))).toBe('2023-07-31T10:11:12.345Z');
    expect(djangoTime(new Date('2023-07-31T10:11:12.000Z'))).toBe('2023-07-31T10:11:12Z');
    expect(djangoTime(new Date('2023-07-31T10:11:12.007Z'))).toBe('2023-07-31T10:11:12.007Z');
  });
});

describe('parseJsonBody', () => {
  const parse = (text: string | Buffer) =>
    parseJsonBody(typeof text === 'string' ? Buffer.from(text) : text, 'task');
  it('parses JSON and drops a byte order mark', () => {
    expect(parse('{"a": [1, "ż"]}')).toEqual({ a: [1, 'ż'] });
    expect(parse('\ufeff{"a": 1}')).toEqual({ a: 1 });
  });
  it('says what is wrong', () => {
    expect(() => parse('')).toThrow(/body is empty/);
    expect(() => parse('{"a": ')).toThrow(/not valid JSON/);
    expect(() => parse(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toThrow(/not UTF-8/);
    expect(() =>
      parse(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`),
    ).toThrow(/deeper than 64/);
    expect(() => parse('{"a": ["[[[[", "x"]}')).not.toThrow();
    expect(() => parse('{"env": {"k": "\\ud800"}}')).toThrow(
      /env\.k: contains a lone UTF-16 surrogate/,
    );
    expect(() => parse('{"files": {"__proto__": {}}}')).toThrow(/__proto__/);
  });
  it('reports JSON paths', () => {
    try {
      parse('{"a": {"b c": ["\\udc00"]}}');
      expect.unreachable();
    } catch (error) {
      expect((error as KolejkaError).issues).toEqual([
        { path: '/a/b c/0', message: 'contains a lone UTF-16 surrogate (not valid Unicode)' },
      ]);
    }
  });
});

describe('parseRange', () => {
  it('reads single byte ranges', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=2-100', 10)).toEqual({ start: 2, end: 9 });
  });
  it('refuses unsatisfiable ones with 416', () => {
    for (const header of ['bytes=10-', 'bytes=5-4', 'bytes=-0', 'bytes=x', 'bytes=0-1,3-4']) {
      expect(() => parseRange(header, 10), header).toThrow(
        expect.objectContaining({ status: 416 }),
      );
    }
    expect(() => parseRange('bytes=0-', 0)).toThrow(expect.objectContaining({ status: 416 }));
  });
});

describe('parseDequeueRequest', () => {
  it('reads the original foreman body with its defaults', () => {
    expect(parseDequeueRequest({})).toEqual({ concurrency: 1, capacity: {}, tags: [] });
    expect(
      parseDequeueRequest({ concurency: 4, limits: { memory: '1G', time: '1M' }, tags: ['a'] }),
    ).toEqual({ concurrency: 4, capacity: { memory: 1_073_741_824, time: 60 }, tags: ['a'] });
  });
  it('names every problem', () => {
    expect(() => parseDequeueRequest({ concurency: 0, limits: { cpus: 'x' }, tags: 'a' })).toThrow(
      /concurency must be a whole number.*limits\.cpus.*tags must be a list of strings/,
    );
  });
});
