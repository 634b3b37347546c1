import { describe, expect, it } from 'vitest';
import { HttpProtocolError, parseHttpRequest } from '../src/protocol/http-request.js';

const parse = (text: string) => parseHttpRequest(Buffer.from(text, 'latin1'));

function protocolError(
  text: string,
  limits?: { maxHeaderBytes: number; maxBodyBytes: number },
): HttpProtocolError {
  try {
    parseHttpRequest(Buffer.from(text, 'latin1'), limits);
  } catch (error) {
    if (error instanceof HttpProtocolError) return error;
    throw error;
  }
  throw new Error('expected a protocol error');
}

describe('parseHttpRequest', () => {
  it('reads the request stage2 sends: a target without a leading slash', () => {
    const body = '{"session_id": "a", "secret": "b"}';
    const text = `POST attach HTTP/1.1\r\nHost: kolejka-observer\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const parsed = parse(text);
    expect(parsed?.consumed).toBe(text.length);
    expect(parsed?.request.method).toBe('POST');
    expect(parsed?.request.target).toBe('attach');
    expect(parsed?.request.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(parsed?.request.body.toString()).toBe(body);
  });

  it('waits for the whole head and body', () => {
    expect(parse('POST /open HTTP/1.1\r\nContent-Length: 2\r\n')).toBeUndefined();
    expect(parse('POST /open HTTP/1.1\r\nContent-Length: 2\r\n\r\n{')).toBeUndefined();
    expect(
      parse('POST /open HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}')?.request.body.toString(),
    ).toBe('{}');
  });

  it('accepts bare LF, targets with spaces, HTTP/1.0 and repeated headers', () => {
    const parsed = parse('POST /Attach/  HTTP/1.0\nX-A: 1\nx-a: 2\n\n');
    expect(parsed?.request.target).toBe('/Attach/ ');
    expect(parsed?.request.version).toBe('HTTP/1.0');
    expect(parsed?.request.headers.get('x-a')).toBe('1, 2');
  });

  it('decodes chunked bodies', () => {
    const parsed = parse(
      'POST /limits HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4;x=y\r\n":1}\r\n0\r\n\r\n',
    );
    expect(parsed?.request.body.toString()).toBe('{"a":1}');
    expect(
      parse('POST /limits HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n'),
    ).toBeUndefined();
  });

  it('refuses malformed and oversized requests with the right status', () => {
    expect(protocolError('GARBAGE\r\n\r\n').status).toBe(400);
    expect(protocolError('POST /open HTTP/2.0\r\n\r\n').status).toBe(505);
    expect(protocolError('POST /open HTTP/1.1\r\nno colon here\r\n\r\n').status).toBe(400);
    expect(protocolError('POST /open HTTP/1.1\r\nContent-Length: -1\r\n\r\n').message).toContain(
      'Content-Length',
    );
    expect(protocolError('POST /open HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n').status).toBe(
      501,
    );
    const limits = { maxHeaderBytes: 64, maxBodyBytes: 8 };
    expect(protocolError(`POST /open HTTP/1.1\r\nX: ${'a'.repeat(100)}`, limits).status).toBe(431);
    expect(protocolError('POST /open HTTP/1.1\r\nContent-Length: 9\r\n\r\n', limits).status).toBe(
      413,
    );
  });
});
