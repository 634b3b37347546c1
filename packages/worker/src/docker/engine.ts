import type { Readable } from 'node:stream';

/**
 * The part of the Docker Engine API the worker uses, shaped like dockerode so that a
 * dockerode instance can be passed as is (`createWorker({ docker: new Dockerode() })`),
 * and small enough that unit tests can fake it.
 */
export interface DockerEngine {
  createContainer(options: ContainerCreateSpec): Promise<DockerContainer>;
  getContainer(id: string): DockerContainer;
  getImage(name: string): { inspect(): Promise<unknown> };
  /** Starts a pull; the stream carries the engine's JSON progress lines. */
  pull(image: string): Promise<Readable>;
  info(): Promise<DockerInfo>;
}

export interface DockerContainer {
  readonly id: string;
  start(): Promise<unknown>;
  /** Resolves when the container is not running (at once if it already stopped). */
  wait(options: { condition: 'not-running' }): Promise<{ StatusCode: number }>;
  /** A hijacked connection: Docker's multiplexed stdout/stderr to read, stdin to write. */
  attach(options: AttachOptions): Promise<NodeJS.ReadWriteStream>;
  inspect(): Promise<ContainerInspect>;
  kill(options?: { signal?: string }): Promise<unknown>;
  remove(options?: { force?: boolean; v?: boolean }): Promise<unknown>;
}

export interface AttachOptions {
  stream: true;
  hijack: true;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface DockerInfo {
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  CgroupDriver?: string;
  CgroupVersion?: string;
  InitBinary?: string;
}

export interface ContainerInspect {
  Id: string;
  State: {
    Running: boolean;
    Pid: number;
    ExitCode: number;
    OOMKilled: boolean;
    Error?: string;
    StartedAt: string;
    FinishedAt: string;
  };
}

export interface DeviceRequest {
  Driver: string;
  DeviceIDs: string[];
  Capabilities: string[][];
}

export interface BindMountSpec {
  Type: 'bind';
  Source: string;
  Target: string;
  ReadOnly: boolean;
}

/** What the worker asks Docker to create (a subset of the Engine API's create body). */
export interface ContainerCreateSpec {
  name: string;
  Image: string;
  Cmd: string[];
  Entrypoint: string[];
  Env: string[];
  Hostname: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Tty: false;
  HostConfig: {
    Init: true;
    Privileged: false;
    SecurityOpt: string[];
    CapAdd: string[];
    Mounts: BindMountSpec[];
    NetworkMode?: string;
    LogConfig: { Type: string; Config: Record<string, string> };
    CgroupParent?: string;
    Memory?: number;
    MemorySwap?: number;
    CpusetCpus?: string;
    PidsLimit?: number;
    StorageOpt?: Record<string, string>;
    DeviceRequests?: DeviceRequest[];
    ShmSize?: number;
  };
}

/** An Engine API error as dockerode and the built-in client report it. */
export function dockerStatusCode(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message from an error (dockerode wraps it in "(HTTP code …) …"). */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (
    json &&
    typeof json === 'object' &&
    typeof (json as { message?: unknown }).message === 'string'
  )
    return (json as { message: string }).message;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return error instanceof Error ? error.message : String(error);
}
