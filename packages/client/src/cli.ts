import { runCli } from './cli/main.js';

// The only place that touches the process: signals, streams and the exit code.
const interrupt = new AbortController();
let signals = 0;
const onSignal = (): void => {
  signals += 1;
  if (signals === 1) interrupt.abort();
  else process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: interrupt.signal,
});
process.exit(code);
