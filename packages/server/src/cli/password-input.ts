import { KolejkaError } from '@kolejka/spec';
import type { CliIo } from './io.js';

/** Reads all of standard input; the password is its first line. */
async function readStdinLine(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (Buffer.concat(chunks).includes(0x0a)) break;
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trimEnd();
}

/** Prompts on the terminal without echo. */
async function prompt(io: CliIo, question: string): Promise<string> {
  io.stderr.write(question);
  io.stdin.setRawMode?.(true);
  try {
    let text = '';
    for await (const chunk of io.stdin) {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') {
          io.stderr.write('\n');
          return text;
        }
        if (char === '\u0003') throw new KolejkaError('KOLEJKA_CANCELLED', 'Interrupted');
        if (char === '\u007f') text = text.slice(0, -1);
        else text += char;
      }
    }
    return text;
  } finally {
    io.stdin.setRawMode?.(false);
  }
}

/**
 * The new password: the first line of standard input with `--password-stdin`, else asked
 * twice on a terminal. Undefined when neither is possible and `isOptional`.
 */
export async function readNewPassword(
  io: CliIo,
  options: { isFromStdin: boolean; isOptional: boolean },
): Promise<string | undefined> {
  let password: string | undefined;
  if (options.isFromStdin) password = await readStdinLine(io);
  else if (io.stdin.isTTY === true) {
    password = await prompt(io, 'Password: ');
    if ((await prompt(io, 'Again: ')) !== password)
      throw new KolejkaError('KOLEJKA_VALIDATION', 'The passwords differ');
  } else if (options.isOptional) return undefined;
  else {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      'No terminal to ask for the password: pass it on standard input with --password-stdin',
    );
  }
  if (password === '') throw new KolejkaError('KOLEJKA_VALIDATION', 'The password is empty');
  return password;
}
