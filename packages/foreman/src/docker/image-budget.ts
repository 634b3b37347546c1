import { readFile, rename, writeFile } from 'node:fs/promises';
import { KolejkaError, formatMemory, noopLogger, type Logger } from '@kolejka/spec';
import { withDefaultTag } from '@kolejka/worker';
import type { DockerHost, LocalImage } from './docker-host.js';

export interface ImageBudgetOptions {
  docker: DockerHost;
  budgetBytes: number;
  /** Where the images the foreman pulled are remembered (across restarts). */
  stateFile: string;
  /** Pull before every task, not only when the image is missing. */
  pullAlways: boolean;
  /** Also evict images the foreman did not pull. */
  evictForeign: boolean;
  logger?: Logger;
  now?: () => number;
}

interface State {
  /** Images the foreman pulled (normalized names) → last use (ms since the epoch). */
  pulled: Record<string, number>;
}

/**
 * The `image` budget (reference §6: the original's image cache management, without its
 * random order). Images are pulled on demand; after a task ends, the least recently used
 * images beyond the budget are removed — never one that a running or accepted task uses,
 * and never one the foreman did not pull itself unless `evictForeign` says so.
 */
export class ImageBudget {
  private state: State = { pulled: {} };
  private readonly pins = new Map<string, number>();
  private readonly lastUsed = new Map<string, number>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private enforcing: Promise<void> | undefined;
  private isEnforceRequested = false;

  constructor(private readonly options: ImageBudgetOptions) {
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? Date.now;
  }

  async open(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.options.stateFile, 'utf8')) as Partial<State>;
      if (parsed.pulled && typeof parsed.pulled === 'object')
        this.state = { pulled: { ...parsed.pulled } };
    } catch {
      this.state = { pulled: {} };
    }
    for (const [name, at] of Object.entries(this.state.pulled)) this.lastUsed.set(name, at);
  }

  /** Keeps the image from eviction (from the moment a task using it is accepted). */
  pin(image: string): () => void {
    const name = withDefaultTag(image);
    this.pins.set(name, (this.pins.get(name) ?? 0) + 1);
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const left = (this.pins.get(name) ?? 1) - 1;
      if (left <= 0) this.pins.delete(name);
      else this.pins.set(name, left);
    };
  }

  /** Makes the image present (pulling it when missing, or always with `pullAlways`) and checks it fits the budget. */
  async prepare(image: string, signal?: AbortSignal): Promise<void> {
    const name = withDefaultTag(image);
    let info = this.options.pullAlways ? undefined : await this.options.docker.inspectImage(name);
    if (info === undefined) {
      this.logger.info('pulling image', { image: name });
      await this.options.docker.pullImage(name, signal);
      this.state.pulled[name] = this.now();
      info = await this.options.docker.inspectImage(name);
      if (info === undefined)
        throw new KolejkaError('KOLEJKA_DOCKER', `image ${name} is missing right after its pull`);
    }
    if (info.sizeBytes > this.options.budgetBytes) {
      throw new KolejkaError(
        'KOLEJKA_DOCKER',
        `image ${name} takes ${formatMemory(info.sizeBytes)}, more than the foreman's image budget of ${formatMemory(this.options.budgetBytes)}`,
      );
    }
    this.touch(name);
    await this.save();
  }

  private touch(name: string): void {
    const at = this.now();
    this.lastUsed.set(name, at);
    if (this.state.pulled[name] !== undefined) this.state.pulled[name] = at;
  }

  private async save(): Promise<void> {
    const temporary = `${this.options.stateFile}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.state)}\n`);
    await rename(temporary, this.options.stateFile);
  }

  /** Removes least recently used images beyond the budget (calls made meanwhile are merged). */
  enforce(): Promise<void> {
    if (this.enforcing !== undefined) {
      this.isEnforceRequested = true;
      return this.enforcing;
    }
    this.enforcing = (async () => {
      try {
        do {
          this.isEnforceRequested = false;
          await this.enforceOnce();
        } while (this.isEnforceRequested);
      } catch (error) {
        this.logger.warn('image budget could not be enforced', { error: String(error) });
      } finally {
        this.enforcing = undefined;
      }
    })();
    return this.enforcing;
  }

  private managedTags(image: LocalImage): string[] {
    return this.options.evictForeign
      ? image.tags
      : image.tags.filter((tag) => this.state.pulled[tag] !== undefined);
  }

  private async enforceOnce(): Promise<void> {
    const images = (await this.options.docker.listImages())
      .map((image) => ({ image, tags: this.managedTags(image) }))
      .filter(({ tags }) => tags.length > 0);
    let totalBytes = images.reduce((sum, { image }) => sum + image.sizeBytes, 0);
    if (totalBytes <= this.options.budgetBytes) return;
    const recency = (tags: string[]): number =>
      Math.max(0, ...tags.map((tag) => this.lastUsed.get(tag) ?? 0));
    const candidates = images
      .filter(({ image }) => !image.tags.some((tag) => this.pins.has(tag)))
      .sort((a, b) => recency(a.tags) - recency(b.tags));
    for (const { image, tags } of candidates) {
      if (totalBytes <= this.options.budgetBytes) break;
      try {
        for (const tag of tags) await this.options.docker.removeImage(tag);
        totalBytes -= image.sizeBytes;
        for (const tag of tags) {
          this.lastUsed.delete(tag);
          delete this.state.pulled[tag];
        }
        this.logger.info('image removed (image budget)', {
          image: tags.join(' '),
          bytes: image.sizeBytes,
        });
      } catch (error) {
        // In use by a container that is not ours, or removed meanwhile: leave it.
        this.logger.warn('image could not be removed', {
          image: tags.join(' '),
          error: String(error),
        });
      }
    }
    await this.save();
    if (totalBytes > this.options.budgetBytes) {
      this.logger.warn('images in use exceed the image budget', {
        bytes: totalBytes,
        budget: this.options.budgetBytes,
      });
    }
  }
}
