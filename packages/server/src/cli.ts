import { runCli } from './cli/main.js';

// The only place that touches the process: signals, streams and the exit code.
const shutdown = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(`kolejka-server: ${signal}: stopping (again to stop at once)\n`);
    shutdown.abort();
  } else {
    process.exit(130);
  }
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  shutdown: shutdown.signal,
});
process.exit(code);
