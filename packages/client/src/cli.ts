import { exitCodeOfSignal } from '@kolejka/cli-kit/exit-codes';
import { abortOnStopSignal } from '@kolejka/cli-kit/signals';
import { runCli } from './cli/main.js';

// The only place that touches the process: signals, streams and the exit code. The first
// SIGINT/SIGTERM stops the command (it says where the task is); a second exits at once.
const interrupt = abortOnStopSignal(() => process.exit(exitCodeOfSignal('SIGINT')));

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: interrupt.signal,
});
process.exit(code);
