import type { Readable } from 'node:stream';

/** Cancels a request (dockerode's name for it, so both clients take the same options). */
export interface AbortOption {
  abortSignal?: AbortSignal;
}

/**
 * The part of the Docker Engine API the worker and the foreman use, shaped like dockerode
 * so that a dockerode instance can be passed as is (`createWorker({ docker: new Dockerode() })`),
 * and small enough that unit tests can fake it.
 */
export interface DockerEngine {
  ping(options?: AbortOption): Promise<unknown>;
  info(options?: AbortOption): Promise<DockerInfo>;
  createContainer(options: ContainerCreateSpec): Promise<DockerContainer>;
  getContainer(id: string): DockerContainer;
  listContainers(options: ListContainersOptions): Promise<ContainerSummary[]>;
  getImage(name: string): DockerImage;
  listImages(options?: AbortOption): Promise<ImageSummary[]>;
  /** Starts a pull; the stream carries the engine's JSON progress lines. */
  pull(image: string, options?: AbortOption): Promise<Readable>;
}

export interface DockerImage {
  inspect(options?: AbortOption): Promise<ImageInspect>;
  remove(options?: AbortOption): Promise<unknown>;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  Size: number;
}

export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  Size: number;
}

export interface ListContainersOptions extends AbortOption {
  all?: boolean;
  filters?: { label?: string[] };
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
}

export interface DockerContainer {
  readonly id: string;
  start(): Promise<unknown>;
  /** Resolves when the container is not running (at once if it already stopped); no timeout. */
  wait(options: { condition: 'not-running' } & AbortOption): Promise<{ StatusCode: number }>;
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
