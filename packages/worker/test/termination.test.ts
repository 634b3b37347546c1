import { describe, expect, it } from 'vitest';
import { decideTermination, signalName } from '../src/execution/termination.js';

describe('termination reasons', () => {
  it('exited: the command ended by itself', () => {
    expect(decideTermination({ exitCode: 0, oomKilled: false })).toEqual({ reason: 'exited' });
    expect(decideTermination({ exitCode: 3, oomKilled: false })).toEqual({ reason: 'exited' });
    // An OOM kill of a child with a clean exit is still a normal exit.
    expect(decideTermination({ exitCode: 0, oomKilled: true })).toEqual({ reason: 'exited' });
  });

  it("the worker's own kills, recognised by status 137", () => {
    expect(
      decideTermination({
        exitCode: 137,
        killedFor: 'time_limit',
        oomKilled: false,
        timeLimitSeconds: 3,
      }),
    ).toMatchObject({
      reason: 'time_limit',
      signal: 'SIGKILL',
      message: expect.stringContaining('3 s'),
    });
    expect(
      decideTermination({ exitCode: 137, killedFor: 'output_limit', oomKilled: false }),
    ).toMatchObject({ reason: 'output_limit' });
    expect(
      decideTermination({ exitCode: 137, killedFor: 'cancelled', oomKilled: false }),
    ).toMatchObject({ reason: 'cancelled' });
  });

  it('a kill that lost the race against a normal exit is an exit', () => {
    expect(decideTermination({ exitCode: 0, killedFor: 'time_limit', oomKilled: false })).toEqual({
      reason: 'exited',
    });
  });

  it('pids_limit: a failed status after the pids limit refused a fork, by exit or signal', () => {
    expect(
      decideTermination({ exitCode: 3, oomKilled: false, pidsFailures: 5, pidsLimit: 64 }),
    ).toEqual({
      reason: 'pids_limit',
      message: 'the pids limit of 64 refused 5 process(es) or thread(s)',
    });
    expect(decideTermination({ exitCode: 134, oomKilled: false, pidsFailures: 1 })).toMatchObject({
      reason: 'pids_limit',
      signal: 'SIGABRT',
    });
    // A clean exit after refused forks is an exit; an OOM kill is the memory limit.
    expect(decideTermination({ exitCode: 0, oomKilled: false, pidsFailures: 9 })).toEqual({
      reason: 'exited',
    });
    expect(decideTermination({ exitCode: 137, oomKilled: true, pidsFailures: 9 })).toMatchObject({
      reason: 'memory_limit',
    });
  });

  it('memory_limit: a failed status with an OOM kill', () => {
    expect(decideTermination({ exitCode: 137, oomKilled: true, oomKills: 1 })).toMatchObject({
      reason: 'memory_limit',
      signal: 'SIGKILL',
      message: expect.stringContaining('1 process'),
    });
  });

  it('signal: a status 128+N with no other cause', () => {
    expect(decideTermination({ exitCode: 139, oomKilled: false })).toEqual({
      reason: 'signal',
      signal: 'SIGSEGV',
      message: 'killed by SIGSEGV',
    });
    expect(decideTermination({ exitCode: 255, oomKilled: false })).toEqual({ reason: 'exited' });
  });

  it('names each signal as kill -l does, not by its alias', () => {
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(99)).toBe('SIG99');
  });
});
