import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

/** How many symlinks one resolution may follow before it counts as a loop (Linux's limit). */
const MAX_SYMLINKS = 40;

/**
 * Resolves a path the way the container saw it, on the host, without ever leaving one
 * directory: `hostRoot` on the host is `containerRoot` in the container (for example the
 * jail's task dir and /var/lib/kolejka/task). Symlinks made by the task are followed with
 * container semantics — an absolute target is a container path, a relative one is taken
 * from the link's directory — and the result is `undefined` as soon as the path would
 * leave the directory (e.g. a link to /etc/shadow or to ../../etc/shadow) or loops.
 * Containers are dead when this runs, so nothing changes under it.
 */
export class ContainerView {
  private readonly rootParts: string[];

  constructor(
    readonly hostRoot: string,
    containerRoot: string,
  ) {
    this.rootParts = containerRoot.split('/').filter((part) => part !== '');
  }

  /**
   * The host path of `relative` (relative to the root), following every symlink
   * (`followLast` false leaves a final symlink itself), or undefined when it escapes.
   * A missing final component still resolves (to where it would be).
   */
  async resolve(relative: string, followLast = true): Promise<string | undefined> {
    const current = [...this.rootParts];
    const pending = relative.split('/').filter((part) => part !== '' && part !== '.');
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '..') {
        current.pop();
        continue;
      }
      current.push(part);
      const host = this.toHost(current);
      if (host === undefined) {
        if (this.isAncestorOfRoot(current)) continue;
        return undefined;
      }
      if (pending.length === 0 && !followLast) return host;
      let stats;
      try {
        stats = await lstat(host);
      } catch {
        return pending.length === 0 ? host : undefined;
      }
      if (!stats.isSymbolicLink()) continue;
      hops += 1;
      if (hops > MAX_SYMLINKS) return undefined;
      const target = await readlink(host);
      current.pop();
      if (target.startsWith('/')) current.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
    }
    return this.toHost(current);
  }

  private toHost(parts: string[]): string | undefined {
    if (parts.length < this.rootParts.length) return undefined;
    for (let i = 0; i < this.rootParts.length; i++) {
      if (parts[i] !== this.rootParts[i]) return undefined;
    }
    return path.join(this.hostRoot, ...parts.slice(this.rootParts.length));
  }

  private isAncestorOfRoot(parts: string[]): boolean {
    return (
      parts.length < this.rootParts.length &&
      parts.every((part, index) => part === this.rootParts[index])
    );
  }
}
