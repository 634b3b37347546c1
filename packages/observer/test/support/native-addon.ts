import { execFileSync } from 'node:child_process';

/** Builds the SO_PEERCRED addon if it is missing or older than its sources (tests run from src/). */
export function ensureNativeAddon(): void {
  const script = new URL('../../native/build.js', import.meta.url).pathname;
  execFileSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit', timeout: 180_000 });
}
