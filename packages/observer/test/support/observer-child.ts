import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/**
 * The child's program (plain JavaScript, run with `node --input-type=module -e`): driven line by
 * line over stdin (JSON), so the test decides when it talks to the daemon.
 */
const CHILD_SCRIPT = `
// A process for the observer integration tests, driven line by line over stdin (JSON), so
// the test decides when it talks to the daemon (after moving it into a test cgroup).
// Commands:
//   {"op":"call","command":"open","body":{...},"slash":true}  → prints {"status","json"}
//   {"op":"attach-raw","body":{...}}  → the judge's starter: raw "POST attach", one read
//   {"op":"alloc","mib":256}         → allocates and touches memory, prints {"allocated"}
//   {"op":"hold"}                    → keeps running (until killed)
//   {"op":"exit"}
import net from 'node:net';
import readline from 'node:readline';

const socketPath = process.argv[1]; // with -e, the first argument after the script
const print = (value) => process.stdout.write(\`\${JSON.stringify(value)}\\n\`);

function call(command, body, slash = true) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body ?? {}));
    const target = slash ? \`/\${command}\` : command;
    const socket = net.connect(socketPath);
    const chunks = [];
    socket.on('connect', () => {
      socket.write(
        \`POST \${target} HTTP/1.1\\r\\nHost: kolejka-observer\\r\\nContent-Type: application/json; charset=utf-8\\r\\nContent-Length: \${payload.length}\\r\\n\\r\\n\`,
      );
      socket.write(payload);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const body = text.slice(text.indexOf('\\r\\n\\r\\n') + 4);
      resolve({ status: Number(text.split(' ')[1]), json: body === '' ? null : JSON.parse(body) });
    });
  });
}

/** What the original starter does: one raw request, one read of the reply, hang up. */
function attachRaw(body) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const socket = net.connect(socketPath, () => {
      socket.write(
        Buffer.concat([
          Buffer.from(
            \`POST attach HTTP/1.1\\r\\nHost: kolejka-observer\\r\\nContent-Type: application/json; charset=utf-8\\r\\nContent-Length: \${payload.length}\\r\\n\\r\\n\`,
          ),
          payload,
        ]),
      );
    });
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.on('error', reject);
  });
}

const held = [];
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  switch (command.op) {
    case 'call':
      print(await call(command.command, command.body, command.slash !== false));
      break;
    case 'attach-raw': {
      const reply = await attachRaw(command.body);
      print({ firstChunk: reply });
      break;
    }
    case 'alloc': {
      const buffer = Buffer.alloc(command.mib * 1024 * 1024, 1);
      held.push(buffer);
      print({ allocated: buffer.length });
      break;
    }
    case 'hold':
      setInterval(() => {}, 1000);
      print({ holding: true });
      break;
    case 'exit':
      process.exit(0);
  }
}
`;

export interface ChildReply {
  status?: number;
  json?: Record<string, unknown> | null;
  firstChunk?: string;
  allocated?: number;
  holding?: boolean;
}

/** A node process that talks to the observer when told to (see CHILD_SCRIPT). */
export class ObserverChild {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  readonly #replies: ChildReply[] = [];
  readonly #waiting: ((reply: ChildReply) => void)[] = [];

  constructor(socketPath: string) {
    this.process = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD_SCRIPT, socketPath],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    if (this.process.pid === undefined) throw new Error('could not spawn the observer child');
    this.pid = this.process.pid;
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) =>
        resolve({ code, signal, atMs: performance.now() }),
      );
    });
    const lines = readline.createInterface({ input: this.process.stdout! });
    lines.on('line', (line) => {
      const reply = JSON.parse(line) as ChildReply;
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#replies.push(reply);
      else waiter(reply);
    });
  }

  send(command: Record<string, unknown>): Promise<ChildReply> {
    this.process.stdin?.write(`${JSON.stringify(command)}\n`);
    const ready = this.#replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve);
      void this.exited.then((exit) =>
        reject(new Error(`observer child exited (${exit.signal ?? exit.code}) before replying`)),
      );
    });
  }

  call(command: string, body: Record<string, unknown> = {}, slash = true): Promise<ChildReply> {
    return this.send({ op: 'call', command, body, slash });
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null)
      this.process.kill('SIGKILL');
  }
}
