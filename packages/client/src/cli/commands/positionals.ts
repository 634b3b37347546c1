/** Positionals that several commands take, described once. */

export const keyArg = {
  type: 'string',
  demandOption: true,
  describe: 'Task key (32 hex digits)',
} as const;

export const targetDirArg = {
  type: 'string',
  demandOption: true,
  describe: 'Target directory',
} as const;
