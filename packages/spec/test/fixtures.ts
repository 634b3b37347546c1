import { readFileSync } from 'node:fs';

/** Reads a fixture: `*-canonical.json` files were written by Python's json.dump as the original does. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixture(name));
}
