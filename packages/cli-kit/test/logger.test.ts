import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import { createDaemonLogger } from '../src/logger.js';

function capture(json: boolean | undefined, level: 'info' | 'debug' = 'info', isTTY = false) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    ),
  );
  const logger = createDaemonLogger({
    name: 'kolejka-test',
    level,
    stream,
    ...(json === undefined ? {} : { json }),
  });
  return { logger, lines };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('createDaemonLogger', () => {
  it('writes JSON lines with the service name, child metadata and errors that keep their code', async () => {
    const { logger, lines } = capture(true);
    logger.child({ component: 'sessions' }).info('session opened', {
      session: 'abc',
      error: new KolejkaError('KOLEJKA_FORBIDDEN', 'no'),
    });
    logger.debug('not shown at info');
    await flushed();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'session opened',
      service: 'kolejka-test',
      component: 'sessions',
      session: 'abc',
      error: { name: 'KolejkaError', message: 'no', code: 'KOLEJKA_FORBIDDEN' },
    });
    expect(entry.timestamp).toEqual(expect.any(String));
  });

  it('writes readable lines for a terminal', async () => {
    const { logger, lines } = capture(false, 'debug');
    logger.debug('request', { status: 200 });
    await flushed();
    expect(lines[0]).toMatch(/debug.* \[kolejka-test\] request \{"status":200\}$/);
  });

  it('chooses JSON off a terminal and readable lines on one', async () => {
    const off = capture(undefined, 'info', false);
    const on = capture(undefined, 'info', true);
    off.logger.warn('disk low');
    on.logger.warn('disk low');
    await flushed();
    expect(JSON.parse(off.lines[0] ?? '')).toMatchObject({ level: 'warn', message: 'disk low' });
    expect(on.lines[0]).toMatch(/warn.* \[kolejka-test\] disk low$/);
  });

  it('leaves out entries below its level', async () => {
    const { logger, lines } = capture(true, 'info');
    logger.error('e');
    logger.warn('w');
    logger.info('i');
    logger.debug('d');
    await flushed();
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual([
      'e',
      'w',
      'i',
    ]);
  });
});
