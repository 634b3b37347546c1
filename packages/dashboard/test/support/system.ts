import { runCliCaptured } from '../../../server/test/support/cli-run.js';
import {
  Cluster,
  type ForemanProcess,
  type ServerHandle,
} from '../../../foreman/test/support/cluster.js';

/** People of the dashboard tests: they sign in with passwords, as a browser user does. */
export const PEOPLE = {
  ola: { password: 'ola-password-1', roles: ['client'] },
  jan: { password: 'jan-password-1', roles: ['client'] },
  ada: { password: 'ada-password-1', roles: ['admin'] },
} as const;
export type Person = keyof typeof PEOPLE;

/**
 * A whole Kolejka system for the browser tests: the server (from sources, serving the built
 * dashboard at /ui/), one real foreman running containers, and the people above.
 */
export class DashboardSystem {
  private constructor(
    readonly cluster: Cluster,
    readonly server: ServerHandle,
    readonly foreman: ForemanProcess,
    private readonly rootToken: string,
  ) {}

  get url(): string {
    return this.server.url;
  }

  static async start(): Promise<DashboardSystem> {
    const cluster = await Cluster.create();
    try {
      return await DashboardSystem.startIn(cluster);
    } catch (error) {
      // Nothing may outlive a failed start: the server and foreman are stopped by pid.
      await cluster.close();
      throw error;
    }
  }

  private static async startIn(cluster: Cluster): Promise<DashboardSystem> {
    const added = await runCliCaptured([
      'user',
      'add',
      'root',
      '--role',
      'admin',
      '--home',
      cluster.home,
    ]);
    if (added.code !== 0) throw new Error(`user add root failed: ${added.stderr}`);
    const token = await runCliCaptured(['token', 'create', 'root', '--home', cluster.home]);
    if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
    for (const [username, person] of Object.entries(PEOPLE)) {
      const roles = person.roles.flatMap((role) => ['--role', role]);
      const added = await runCliCaptured(
        ['user', 'add', username, ...roles, '--password-stdin', '--home', cluster.home],
        { stdin: `${person.password}\n` },
      );
      if (added.code !== 0) throw new Error(`user add ${username} failed: ${added.stderr}`);
    }
    const server = await cluster.startServer();
    const foreman = await cluster.startForeman(
      'laptop',
      [server.url],
      ['--cpus', '2', '--memory', '2G'],
    );
    return new DashboardSystem(cluster, server, foreman, token.stdout.trim());
  }

  private readonly tokens = new Map<string, string>();

  /** A token of `who` (signing in through the API once). */
  async tokenOf(who: Person | 'root'): Promise<string> {
    if (who === 'root') return this.rootToken;
    const known = this.tokens.get(who);
    if (known !== undefined) return known;
    const answer = (await this.api(undefined, 'POST', '/api/v1/tokens', {
      username: who,
      password: PEOPLE[who].password,
    })) as { token: string };
    this.tokens.set(who, answer.token);
    return answer.token;
  }

  /** A JSON API call as `who` (undefined: anonymous); throws with the answer on failure. */
  async api(
    who: Person | 'root' | undefined,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (who !== undefined) headers.Authorization = `Bearer ${await this.tokenOf(who)}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** Submits a busybox task running `sh -c script` as `who`; returns its key. */
  async submit(who: Person, script: string): Promise<string> {
    const task = (await this.api(who, 'POST', '/api/v1/tasks', {
      task: {
        image: 'kolejka-test/busybox:latest',
        args: ['sh', '-c', script],
        limits: { cpus: 1, memory: '64M', time: '120s' },
        stdout: 'console.txt',
        stderr: 'console.txt',
      },
    })) as { key: string };
    return task.key;
  }

  close(): Promise<void> {
    return this.cluster.close();
  }
}
