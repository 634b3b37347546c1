import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  dumpStats,
  keepMaxima,
  parseStats,
  writeResult,
  type Limits,
  type Logger,
  type ResultSpec,
  type Stats,
  type Termination,
} from '@kolejka/spec';
import { copyCollected, planCollect } from './collect.js';
import type { Jail } from './jail.js';
import { copyTaskResultFiles, listResultFiles, moveInto } from './result-files.js';
import type { ValidTask } from './task-input.js';

/** Fills the result directory: the task's result files, collected files, outputs, the spec. */
export async function writeResultDir(
  task: ValidTask['task'],
  limits: Limits,
  jail: Jail,
  resultDir: string,
  outcome: {
    exitCode: number;
    stats: Stats;
    termination: Termination;
    /** Limits asked for but not enforced (left out of `limits`). */
    unenforcedLimits: readonly string[];
    /** Stats that are the largest of samples, not the kernel's peak counter. */
    sampledStats: readonly string[];
    logger: Logger;
  },
): Promise<ResultSpec> {
  const { logger } = outcome;
  await mkdir(resultDir, { recursive: true });
  await copyTaskResultFiles(jail.resultDir, resultDir, logger);
  await copyCollected(resultDir, await planCollect(jail.taskDir, task.collect, logger), logger);
  if (task.stdout !== undefined) {
    await moveInto(path.join(jail.outputDir, 'stdout'), resultDir, task.stdout).catch(
      (error: unknown) => logger.warn('cannot store stdout', { error: (error as Error).message }),
    );
  }
  if (task.stderr !== undefined && task.stderr !== task.stdout) {
    await moveInto(path.join(jail.outputDir, 'stderr'), resultDir, task.stderr).catch(
      (error: unknown) => logger.warn('cannot store stderr', { error: (error as Error).message }),
    );
  }
  const result: ResultSpec = {
    id: task.id,
    tags: [],
    limits,
    // As it reads back from kolejka_result.json (microseconds, the original's corrections).
    stats: parseStats(dumpStats(keepMaxima(outcome.stats))),
    result: outcome.exitCode,
    files: await listResultFiles(resultDir),
    termination: outcome.termination,
  };
  if (task.stdout !== undefined) result.stdout = task.stdout;
  if (task.stderr !== undefined) result.stderr = task.stderr;
  if (outcome.unenforcedLimits.length > 0) result.unenforced_limits = [...outcome.unenforcedLimits];
  if (outcome.sampledStats.length > 0) result.sampled_stats = [...outcome.sampledStats];
  await writeResult(resultDir, result, { mode: 0o640 });
  return result;
}
