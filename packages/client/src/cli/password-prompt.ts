import { KolejkaError } from '@kolejka/spec';
import type { CliIo } from './io.js';

/** The first line of standard input (for `--password-stdin`). */
export async function readFirstLine(stdin: CliIo['stdin']): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').replace(/\r$/, '');
}

/** Asks on the terminal without echoing what is typed. */
export async function askHidden(io: CliIo, question: string): Promise<string> {
  if (io.stdin.isTTY !== true) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      'No terminal to ask for the password: give it on standard input with --password-stdin',
    );
  }
  io.stderr.write(question);
  io.stdin.setRawMode?.(true);
  let answer = '';
  try {
    for await (const chunk of io.stdin) {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return answer;
        if (char === '\u0003') throw new KolejkaError('KOLEJKA_CANCELLED', 'Interrupted');
        answer = char === '\u007f' || char === '\b' ? answer.slice(0, -1) : answer + char;
      }
    }
    return answer;
  } finally {
    io.stdin.setRawMode?.(false);
    io.stderr.write('\n');
  }
}

/** Asks on the terminal, echoing (a user name). */
export async function ask(io: CliIo, question: string): Promise<string> {
  if (io.stdin.isTTY !== true) {
    throw new KolejkaError('KOLEJKA_VALIDATION', 'No terminal to ask on: give --username');
  }
  io.stderr.write(question);
  return (await readFirstLine(io.stdin)).trim();
}
