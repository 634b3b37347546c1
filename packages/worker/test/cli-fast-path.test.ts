import { describe, expect, it } from 'vitest';
import { fastExecuteArgs } from '../src/cli-fast-path.js';

describe('the CLI fast path (execute without yargs)', () => {
  it('reads the plain execute line in both option forms', () => {
    expect(fastExecuteArgs(['execute', 'task', 'result'])).toEqual({
      task: 'task',
      result: 'result',
      pull: false,
      consume: false,
    });
    expect(
      fastExecuteArgs([
        'execute',
        '--memory',
        '64M',
        'task',
        '--time=1.5s',
        'result',
        '--pull',
        '--consume',
        '--output-limit',
        '1k',
        '--temp',
        '/tmp/x',
      ]),
    ).toEqual({
      task: 'task',
      result: 'result',
      pull: true,
      consume: true,
      memory: '64M',
      time: '1.5s',
      'output-limit': '1k',
      temp: '/tmp/x',
    });
  });

  it.each([
    [[]],
    [['--help']],
    [['execute', '--help']],
    [['--version']],
    [['execute', 'task']],
    [['execute', 'task', 'result', 'extra']],
    [['run', 'task', 'result']],
    [['execute', 'task', 'result', '--unknown', '1']],
    [['execute', 'task', 'result', '--no-pull']],
    [['execute', 'task', 'result', '--pull=true']],
    // yargs reads "true" as the flag's value here, so the line means something else to it.
    [['execute', 'task', '--pull', 'true']],
    [['execute', 'task', 'result', '--memory']],
    [['execute', 'task', 'result', '--memory', '-1']],
    [['execute', 'task', 'result', '--memory=1G', '--memory=2G']],
    [['execute', 'task', 'result', '--temp=']],
    [['execute', '', 'result']],
    [['execute', 'task', 'result', '--outputLimit', '1k']],
    [['execute', '--', 'task', 'result']],
    [['execute', 'task', 'result', '-h']],
  ])('leaves %j to yargs', (argv) => {
    expect(fastExecuteArgs(argv)).toBeUndefined();
  });
});
