import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLineLogger } from '@kolejka/cli-kit/line-logger';
import { KolejkaError } from '@kolejka/spec';
import { EXIT, exitCodeOf } from '../src/cli/exit-codes.js';
import { Output } from '../src/cli/output.js';
import { ProgressDisplay } from '../src/cli/progress-display.js';
import { Terminal } from '../src/cli/terminal.js';
import { KolejkaServerError } from '../src/index.js';

function stream(isTTY: boolean) {
  const out = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('progress', () => {
  it('draws one progress line on a terminal and clears it for output and log lines', () => {
    const stderr = stream(true);
    const stdout = stream(true);
    const terminal = new Terminal(stderr.out, true);
    const progress = new ProgressDisplay(terminal);
    const output = new Output(stdout.out, terminal, { isJson: false, isQuiet: false });
    const logger = createLineLogger({
      name: 'kolejka-client',
      level: 'warn',
      write: (line) => terminal.line(line),
    });
    progress.listener?.({
      type: 'upload',
      name: 'big.bin',
      bytes: 512,
      totalBytes: 1024,
      isDone: false,
    });
    expect(stderr.text()).toBe(`uploading big.bin [############            ] 512 B / 1.0 KiB`);
    output.info('a line of output');
    logger.warn('careful', { task: 'k' });
    logger.debug('not shown');
    progress.stop();
    expect(stdout.text()).toBe('a line of output\n');
    const clear = '\r\x1b[2K';
    expect(stderr.text().split(clear)).toEqual([
      'uploading big.bin [############            ] 512 B / 1.0 KiB',
      'uploading big.bin [############            ] 512 B / 1.0 KiB',
      'kolejka-client: warn: careful (task=k)\nuploading big.bin [############            ] 512 B / 1.0 KiB',
      '',
    ]);
  });

  it('draws nothing when standard error is not a terminal', () => {
    const stderr = stream(false);
    const terminal = new Terminal(stderr.out, true);
    const progress = new ProgressDisplay(terminal);
    expect(progress.listener).toBeUndefined();
    progress.waitFor('k', 'queued');
    progress.stop();
    createLineLogger({
      name: 'kolejka-client',
      level: 'info',
      write: (line) => terminal.line(line),
    }).info('plain');
    expect(stderr.text()).toBe('kolejka-client: info: plain\n');
  });
});

describe('exit codes', () => {
  const server = (code: ConstructorParameters<typeof KolejkaServerError>[0], status: number) =>
    new KolejkaServerError(code, 'x', { status, url: 'http://s' });
  it.each([
    [server('KOLEJKA_VALIDATION', 400), EXIT.refused],
    [server('KOLEJKA_UNAUTHORIZED', 401), EXIT.refused],
    [server('KOLEJKA_FORBIDDEN', 403), EXIT.refused],
    [server('KOLEJKA_CONFLICT', 409), EXIT.refused],
    [server('KOLEJKA_NOT_FOUND', 404), EXIT.notFound],
    [server('KOLEJKA_UNAVAILABLE', 503), EXIT.unreachable],
    [server('KOLEJKA_INTERNAL', 500), EXIT.error],
    [new KolejkaError('KOLEJKA_VALIDATION', 'local'), EXIT.usage],
    [new KolejkaError('KOLEJKA_NOT_FOUND', 'no dir'), EXIT.notFound],
    [new KolejkaError('KOLEJKA_TIMEOUT', 't'), EXIT.timeout],
    [new KolejkaError('KOLEJKA_UNAVAILABLE', 'down'), EXIT.unreachable],
    [new KolejkaError('KOLEJKA_CANCELLED', 'ctrl-c'), EXIT.interrupted],
    [new Error('bug'), EXIT.error],
  ])('%s → %i', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});
