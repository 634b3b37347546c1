// The README's main job (`pnpm start`, after scripts/setup.sh). For now it checks every
// example task directory with @kolejka/spec, as a server or worker will, and prints what
// each would run. It grows into the full quickstart as the server, worker and foreman land.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { assertRunnable, dumpLimits, readTask } from '@kolejka/spec';

const examplesDir = path.resolve(import.meta.dirname, '../examples');
const entries = await readdir(examplesDir, { withFileTypes: true });
let failures = 0;
for (const entry of entries.filter((item) => item.isDirectory())) {
  const dir = path.join(examplesDir, entry.name);
  try {
    const task = await readTask(dir);
    assertRunnable(task);
    const limits = Object.entries(dumpLimits(task.limits))
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(' ');
    console.log(
      `ok   ${entry.name.padEnd(10)} ${task.image ?? ''}  $ ${task.args.join(' ')}  [${limits}]`,
    );
  } catch (error) {
    failures += 1;
    console.log(
      `FAIL ${entry.name.padEnd(10)} ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
console.log(
  failures === 0 ? 'All examples are valid Kolejka tasks.' : `${failures} example(s) are invalid.`,
);
process.exitCode = failures === 0 ? 0 : 1;
