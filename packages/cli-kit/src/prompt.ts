import { KolejkaError } from '@kolejka/spec';

/** The streams a prompt uses: it asks on standard error (standard output stays for results). */
export interface PromptIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stderr: NodeJS.WritableStream;
}

const NO_TERMINAL =
  'No terminal to ask for the password: give it on standard input with --password-stdin';

/**
 * Feeds chunks of `stdin` to `take` until it returns a result or the input ends (then
 * `atEnd()`). Listens instead of iterating: leaving a `for await` loop early destroys the
 * stream, and a second question on the same terminal would find it closed.
 */
function readUntil<T>(
  stdin: PromptIo['stdin'],
  take: (chunk: Buffer) => T | undefined,
  atEnd: () => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      settle();
    };
    const onData = (chunk: Buffer | string): void => {
      try {
        const result = take(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (result !== undefined) finish(() => resolve(result));
      } catch (error) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
      }
    };
    const onEnd = (): void => finish(() => resolve(atEnd()));
    const onError = (error: Error): void =>
      finish(() => reject(error instanceof Error ? error : new Error(String(error))));
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

/** The first line of standard input, without its line end (for `--password-stdin`). */
export async function readFirstLine(stdin: PromptIo['stdin']): Promise<string> {
  // Bytes first: a chunk may end inside a multi-byte character.
  const chunks: Buffer[] = [];
  const firstLine = (): string => Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  return readUntil(
    stdin,
    (chunk) => {
      chunks.push(chunk);
      return chunk.includes(0x0a) ? firstLine() : undefined;
    },
    firstLine,
  );
}

/** Asks on the terminal without echoing what is typed (Ctrl-C cancels, Backspace erases). */
export async function askHidden(io: PromptIo, question: string): Promise<string> {
  if (io.stdin.isTTY !== true) throw new KolejkaError('KOLEJKA_VALIDATION', NO_TERMINAL);
  io.stderr.write(question);
  io.stdin.setRawMode?.(true);
  let answer = '';
  try {
    return await readUntil(
      io.stdin,
      (chunk) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return answer;
          if (char === '\u0003') throw new KolejkaError('KOLEJKA_CANCELLED', 'Interrupted');
          answer = char === '\u007f' || char === '\b' ? answer.slice(0, -1) : answer + char;
        }
        return undefined;
      },
      () => answer,
    );
  } finally {
    io.stdin.setRawMode?.(false);
    io.stderr.write('\n');
  }
}

/** Asks on the terminal, echoing (a user name); `flag` is what to give instead without one. */
export async function ask(io: PromptIo, question: string, flag = '--username'): Promise<string> {
  if (io.stdin.isTTY !== true) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `No terminal to ask on: give ${flag}`);
  }
  io.stderr.write(question);
  return (await readFirstLine(io.stdin)).trim();
}

/**
 * A new password: the first line of standard input with `isFromStdin`, else asked twice on
 * the terminal. Undefined when neither is possible and `isOptional`; an empty password or
 * two that differ are KOLEJKA_VALIDATION errors.
 */
export async function readNewPassword(
  io: PromptIo,
  options: { isFromStdin: boolean; isOptional: boolean },
): Promise<string | undefined> {
  let password: string;
  if (options.isFromStdin) {
    password = await readFirstLine(io.stdin);
  } else if (io.stdin.isTTY === true) {
    password = await askHidden(io, 'Password: ');
    if ((await askHidden(io, 'Again: ')) !== password)
      throw new KolejkaError('KOLEJKA_VALIDATION', 'The passwords differ');
  } else if (options.isOptional) {
    return undefined;
  } else {
    throw new KolejkaError('KOLEJKA_VALIDATION', NO_TERMINAL);
  }
  if (password === '') throw new KolejkaError('KOLEJKA_VALIDATION', 'The password is empty');
  return password;
}
