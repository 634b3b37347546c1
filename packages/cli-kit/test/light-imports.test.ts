import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const exportsMap = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, { '@kolejka/source': string }>;
  }
).exports;

/** The runtime imports of a source file and, within the package, of what it imports. */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(file)) return found;
  seen.add(file);
  const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
  for (const [, statement, specifier] of source.matchAll(
    /^(import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)';/gms,
  )) {
    if (statement === undefined || specifier === undefined) continue;
    if (specifier.startsWith('./')) {
      for (const inner of runtimeImports(specifier.slice(2).replace(/\.js$/, '.ts'), seen))
        found.add(inner);
    } else {
      found.add(specifier);
    }
  }
  return found;
}

describe('subpath exports', () => {
  it('keep winston in the logger and yargs out of every runtime import (start-up time)', () => {
    const heavy = Object.entries(exportsMap)
      .filter(([subpath]) => subpath !== '.' && subpath !== './logger')
      .map(([subpath, target]) => {
        const imports = runtimeImports(target['@kolejka/source'].replace('./src/', ''));
        return [subpath, [...imports].filter((name) => /^(winston|yargs)/.test(name))] as const;
      })
      .filter(([, names]) => names.length > 0);
    expect(heavy).toEqual([]);
    expect(runtimeImports('logger.ts')).toContain('winston');
  });

  it('keep the limit flag table free of any runtime import (the worker reads it first)', () => {
    expect([...runtimeImports('limit-flag-table.ts')]).toEqual([]);
    expect(runtimeImports('limit-flags.ts')).toContain('@kolejka/spec');
  });
});
