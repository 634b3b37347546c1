// How much do validation and the value grammar cost on top of plain JSON parsing?
// Parses a realistic judge task N times with JSON.parse alone (the baseline) and with
// JSON.parse + @kolejka/spec's parseTask + dumpTask, side by side, and prints the ratio.
// Run after `pnpm build`:  node bench/spec-parse.js [iterations]
import { readFile } from 'node:fs/promises';
import { canonicalJson, dumpTask, parseTask } from '@kolejka/spec';

const iterations = Number(process.argv[2] ?? 20_000);
const text = await readFile(
  new URL('../packages/spec/test/fixtures/task-canonical.json', import.meta.url),
  'utf8',
);

function time(run) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

parseTask(JSON.parse(text)); // compile the schema outside the measurement
const rounds = [];
for (let round = 0; round < 5; round++) {
  const baseline = time(() => JSON.parse(text));
  const spec = time(() => canonicalJson(dumpTask(parseTask(JSON.parse(text)))));
  rounds.push({ baseline, spec });
}
const best = (key) => Math.min(...rounds.map((round) => round[key]));
const baseline = best('baseline');
const spec = best('spec');
console.log(`iterations            ${iterations}`);
console.log(`JSON.parse only       ${((baseline / iterations) * 1000).toFixed(2)} µs/task`);
console.log(`parse+validate+dump   ${((spec / iterations) * 1000).toFixed(2)} µs/task`);
console.log(`ratio                 ${(spec / baseline).toFixed(1)}x`);
