import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askHidden, readFirstLine, readNewPassword, type PromptIo } from '../src/prompt.js';

function terminal(
  input: string[],
  isTTY = true,
): PromptIo & { written: () => string; raw: boolean[] } {
  const stdin = Object.assign(new PassThrough(), { isTTY });
  const modes: boolean[] = [];
  (stdin as unknown as { setRawMode: (mode: boolean) => void }).setRawMode = (mode) => {
    modes.push(mode);
  };
  const stderr = new PassThrough();
  let written = '';
  stderr.on('data', (chunk: Buffer) => (written += chunk.toString()));
  for (const chunk of input) stdin.write(chunk);
  return { stdin, stderr, written: () => written, raw: modes };
}

describe('prompts', () => {
  it('reads the first line of standard input, whole characters across chunks', async () => {
    const euro = Buffer.from('p€ss\r\nnext\n');
    const stdin = new PassThrough();
    stdin.write(euro.subarray(0, 2));
    stdin.write(euro.subarray(2));
    expect(await readFirstLine(stdin)).toBe('p€ss');
  });

  it('asks without echo, erasing on Backspace, in raw mode that it turns off again', async () => {
    const io = terminal(['sec', 'x\u007fret\r']);
    expect(await askHidden(io, 'Password: ')).toBe('secret');
    expect(io.written()).toBe('Password: \n');
    expect(io.raw).toEqual([true, false]);
  });

  it('is cancelled by Ctrl-C', async () => {
    const io = terminal(['ab\u0003']);
    await expect(askHidden(io, '? ')).rejects.toMatchObject({ code: 'KOLEJKA_CANCELLED' });
    expect(io.raw).toEqual([true, false]);
  });

  it('asks a new password twice and refuses two that differ or an empty one', async () => {
    const same = terminal(['pw\r', 'pw\r']);
    expect(await readNewPassword(same, { isFromStdin: false, isOptional: false })).toBe('pw');
    expect(same.written()).toBe('Password: \nAgain: \n');
    const differ = terminal(['pw\r', 'wp\r']);
    await expect(
      readNewPassword(differ, { isFromStdin: false, isOptional: false }),
    ).rejects.toThrow('The passwords differ');
    const empty = terminal(['\n'], false);
    await expect(readNewPassword(empty, { isFromStdin: true, isOptional: false })).rejects.toThrow(
      'The password is empty',
    );
  });

  it('without a terminal: reads standard input when told, else is optional or says how', async () => {
    const piped = terminal(['from stdin\n'], false);
    expect(await readNewPassword(piped, { isFromStdin: true, isOptional: false })).toBe(
      'from stdin',
    );
    const none = terminal([], false);
    expect(await readNewPassword(none, { isFromStdin: false, isOptional: true })).toBeUndefined();
    await expect(readNewPassword(none, { isFromStdin: false, isOptional: false })).rejects.toThrow(
      /--password-stdin/,
    );
    await expect(askHidden(none, '? ')).rejects.toThrow(/--password-stdin/);
  });
});
