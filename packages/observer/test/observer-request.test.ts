import { describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { commandOfTarget } from '../src/protocol/observer-request.js';
import type { HttpRequest } from '../src/protocol/http-request.js';
import { HttpProtocolError } from '../src/protocol/http-request.js';
import { interpretRequest, paramsOfRequest } from '../src/protocol/observer-request.js';

function request(method: string, headers: Record<string, string>, body = ''): HttpRequest {
  return {
    method,
    target: '/open',
    version: 'HTTP/1.1',
    headers: new Map(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value])),
    body: Buffer.from(body),
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

function validationMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('commandOfTarget', () => {
  it('strips slashes and spaces and lower-cases, as the original', () => {
    expect(commandOfTarget('attach')).toBe('attach');
    expect(commandOfTarget('/attach')).toBe('attach');
    expect(commandOfTarget('/Attach/ ')).toBe('attach');
    expect(commandOfTarget('//OPEN//')).toBe('open');
    expect(commandOfTarget('/')).toBe('');
    expect(commandOfTarget('')).toBe('');
    expect(commandOfTarget('/stats?verbose=1')).toBe('stats');
    expect(commandOfTarget('http://localhost/close')).toBe('close');
    expect(commandOfTarget('/%6Fpen')).toBe('open');
  });
});

describe('the body rule', () => {
  it('takes JSON with exactly the original content type', () => {
    expect(
      paramsOfRequest(
        request('POST', { 'Content-Type': JSON_TYPE, 'Content-Length': '15' }, '{"session_id":1}'),
      ),
    ).toEqual({ session_id: 1 });
  });

  it('refuses any other content type with a body (400)', () => {
    for (const type of [
      'application/json',
      'application/json;charset=utf-8',
      'application/json; charset=UTF-8',
      'text/plain',
    ]) {
      expect(
        validationMessage(() =>
          paramsOfRequest(request('POST', { 'Content-Type': type, 'Content-Length': '2' }, '{}')),
        ),
      ).toContain('Content-Type must be exactly');
    }
  });

  it('ignores the body without a content type, and a content type without a body', () => {
    expect(paramsOfRequest(request('POST', { 'Content-Length': '5' }, 'junk!'))).toEqual({});
    expect(paramsOfRequest(request('POST', { 'Content-Type': 'text/plain' }))).toEqual({});
    expect(
      paramsOfRequest(request('POST', { 'Content-Type': JSON_TYPE, 'Content-Length': '0' })),
    ).toEqual({});
  });

  it('says what is wrong with bad JSON', () => {
    const headers = { 'Content-Type': JSON_TYPE, 'Content-Length': '1' };
    expect(validationMessage(() => paramsOfRequest(request('POST', headers, '{')))).toContain(
      'not valid JSON',
    );
    expect(validationMessage(() => paramsOfRequest(request('POST', headers, '[1]')))).toContain(
      'JSON object',
    );
    expect(validationMessage(() => paramsOfRequest(request('POST', headers, 'null')))).toContain(
      'JSON object',
    );
  });
});

describe('interpretRequest', () => {
  it('maps methods', () => {
    expect(interpretRequest(request('GET', {}))).toEqual({ kind: 'get' });
    expect(interpretRequest(request('HEAD', {}))).toEqual({ kind: 'head' });
    expect(interpretRequest(request('POST', {}))).toEqual({
      kind: 'command',
      command: 'open',
      params: {},
    });
    expect(() => interpretRequest(request('PUT', {}))).toThrow(HttpProtocolError);
  });
});
