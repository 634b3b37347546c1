// Fair share in the scheduler's queue index (issue 12): the per-assignment cost (take the
// head of a shape and assign it) with the same number of queued tasks spread over 1 user,
// then over 1,000 users (and 1,000 users of mixed weights). Stride scheduling keeps a lane
// per user and re-places a lane lazily, so the ratio should stay near 1 (flat), not grow
// with the number of users. Run after `pnpm build`:
//   node bench/queue-index.js [--queued 100000] [--assign 20000]
import { FairShare } from '../packages/server/dist/scheduling/fair-share.js';
import { QueueIndex } from '../packages/server/dist/scheduling/queue-index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const QUEUED = option('queued', 100_000);
const ASSIGN = option('assign', 20_000);
const spec = {
  id: 'x',
  image: 'x',
  args: ['true'],
  requires: [],
  limits: { cpus: 1 },
  environment: {},
  files: {},
  collect: [],
};

function run(users, weighted = false) {
  const fairShare = new FairShare();
  if (weighted)
    fairShare.setWeights(new Map(Array.from({ length: users }, (_, i) => [`u${i}`, 1 + (i % 4)])));
  const index = new QueueIndex({ fairShare });
  for (let i = 0; i < QUEUED; i++)
    index.add({
      key: i.toString(16).padStart(32, '0'),
      owner: `u${i % users}`,
      priority: 0,
      createdAt: new Date(i),
      spec,
    });
  const shape = index.shapes().next().value;
  const started = process.hrtime.bigint();
  for (let i = 0; i < ASSIGN; i++) {
    const head = index.head(shape);
    if (head === undefined) break;
    index.take(head.key);
  }
  return Number(process.hrtime.bigint() - started) / ASSIGN;
}

run(1); // warm-up: compile the hot paths
const one = run(1);
const many = run(1000);
const weighted = run(1000, true);
const ns = (value) => `${value.toFixed(0)} ns`;
console.log(`queue index, ${QUEUED} queued tasks, ${ASSIGN} assignments (one shape):`);
console.log(`  1 user:                        ${ns(one)} per assignment`);
console.log(
  `  1,000 users:                   ${ns(many)} per assignment (${(many / one).toFixed(2)}x)`,
);
console.log(
  `  1,000 users, weights 1..4:     ${ns(weighted)} per assignment (${(weighted / one).toFixed(2)}x)`,
);
