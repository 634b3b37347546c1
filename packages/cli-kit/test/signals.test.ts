import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOfSignal } from '../src/exit-codes.js';
import { abortOnStopSignal, onStopSignals, type SignalSource } from '../src/signals.js';

const source = (): EventEmitter & SignalSource => new EventEmitter() as EventEmitter & SignalSource;

describe('stop signals', () => {
  it('counts SIGTERM and SIGINT together and stops listening when disposed', () => {
    const process = source();
    const seen: string[] = [];
    const dispose = onStopSignals((signal, count) => seen.push(`${signal} ${count}`), process);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGHUP', 'SIGHUP');
    dispose();
    process.emit('SIGTERM', 'SIGTERM');
    expect(seen).toEqual(['SIGTERM 1', 'SIGINT 2']);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('aborts on the first signal and hands later ones to onRepeat', () => {
    const process = source();
    const repeats: number[] = [];
    const { signal, dispose } = abortOnStopSignal((_signal, count) => repeats.push(count), process);
    expect(signal.aborted).toBe(false);
    process.emit('SIGINT', 'SIGINT');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(repeats).toEqual([2, 3]);
    dispose();
  });
});

describe('exit codes', () => {
  it('are the shared ones and the shell convention for signals', () => {
    expect([EXIT_OK, EXIT_FAILURE, EXIT_USAGE]).toEqual([0, 1, 2]);
    expect(exitCodeOfSignal('SIGINT')).toBe(130);
    expect(exitCodeOfSignal('SIGTERM')).toBe(143);
  });
});
