import {
  CONTAINER_HOSTNAME,
  CONTAINER_RESULT_DIR,
  CONTAINER_TASK_DIR,
  OBSERVER_SOCKET_PATH,
  taskDefaultEnvironment,
  type Limits,
  type TaskSpec,
} from '@kolejka/spec';
import type { BindMountSpec, ContainerCreateSpec } from '../docker/engine.js';

/** Shared memory for GPU tasks, as the original (`--shm-size=1g`). */
export const GPU_SHM_BYTES = 1024 ** 3;

/** Everything decided on the host before the container is created. */
export interface ContainerPlan {
  name: string;
  task: TaskSpec;
  /** Effective limits (task ∩ worker). */
  limits: Limits;
  /** Host directories bound at /var/lib/kolejka/task and /var/lib/kolejka/result. */
  taskDir: string;
  resultDir: string;
  /** `CpusetCpus` when `cpus` is limited. */
  cpuset?: string;
  /** GPU indexes for Docker's device request when `gpus` > 0. */
  gpuIds?: string[];
  /** Whether `storage` can be enforced (overlay2 on xfs with pquota). */
  storageSupported: boolean;
  /** Whether the observer socket exists on the host (then it is bound at the same path). */
  observerSocket: boolean;
  cgroupParent?: string;
  hasStdin: boolean;
  attachOutput: boolean;
  labels?: Record<string, string>;
}

/**
 * The Docker create body for a task (reference §4.1 step 7, DESIGN decision 5): the task's
 * args are the command (image entrypoint cleared, looked up through PATH by docker-init),
 * the original's container layout and environment, and the limits mapped to HostConfig.
 */
export function containerSpec(plan: ContainerPlan): ContainerCreateSpec {
  const { limits, task } = plan;
  const environment = { ...taskDefaultEnvironment(), ...task.environment };
  const mounts: BindMountSpec[] = [
    { Type: 'bind', Source: plan.taskDir, Target: CONTAINER_TASK_DIR, ReadOnly: false },
    { Type: 'bind', Source: plan.resultDir, Target: CONTAINER_RESULT_DIR, ReadOnly: false },
  ];
  if (plan.observerSocket) {
    mounts.push({
      Type: 'bind',
      Source: OBSERVER_SOCKET_PATH,
      Target: OBSERVER_SOCKET_PATH,
      ReadOnly: false,
    });
  }
  const spec: ContainerCreateSpec = {
    name: plan.name,
    Image: task.image ?? '',
    Cmd: [...task.args],
    Entrypoint: [],
    Env: Object.entries(environment).map(([key, value]) => `${key}=${value}`),
    Hostname: CONTAINER_HOSTNAME,
    WorkingDir: CONTAINER_TASK_DIR,
    Labels: { 'org.kolejka.worker': 'task', ...(task.id ? { 'org.kolejka.task': task.id } : {}) },
    AttachStdin: plan.hasStdin,
    AttachStdout: plan.attachOutput,
    AttachStderr: plan.attachOutput,
    OpenStdin: plan.hasStdin,
    StdinOnce: plan.hasStdin,
    Tty: false,
    HostConfig: {
      Init: true,
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      CapAdd: ['SYS_NICE'],
      Mounts: mounts,
      // Output goes through attach into capped files; a log driver would store it again, unbounded.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
  if (plan.labels) Object.assign(spec.Labels, plan.labels);
  const host = spec.HostConfig;
  if (plan.cgroupParent !== undefined) host.CgroupParent = plan.cgroupParent;
  if (limits.network === false) {
    host.NetworkMode = 'none';
  }
  if (limits.memory !== undefined) {
    host.Memory = limits.memory;
    // No swap unless asked for: memory+swap equal to memory.
    host.MemorySwap = limits.memory + (limits.swap ?? 0);
  }
  if (plan.cpuset !== undefined) host.CpusetCpus = plan.cpuset;
  if (limits.pids !== undefined) host.PidsLimit = limits.pids;
  if (limits.storage !== undefined && plan.storageSupported) {
    host.StorageOpt = { size: String(limits.storage) };
  }
  if (plan.gpuIds !== undefined && plan.gpuIds.length > 0) {
    host.DeviceRequests = [{ Driver: 'nvidia', DeviceIDs: plan.gpuIds, Capabilities: [['gpu']] }];
    host.ShmSize = GPU_SHM_BYTES;
  }
  return spec;
}

/** GPU indexes `(offset + i) mod count` for i < gpus, deduplicated (reference §4.1). */
export function chooseGpus(count: number, gpus: number, offset = 0): string[] {
  if (gpus <= 0 || count <= 0) return [];
  const ids = new Set<number>();
  for (let i = 0; i < gpus; i++) ids.add((offset + i) % count);
  return [...ids].sort((a, b) => a - b).map(String);
}

/** A Docker container name: `<prefix><task id>-<random>` with the id made safe. */
export function containerName(taskId: string, random: string, prefix = 'kolejka-worker-'): string {
  const safe = taskId.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 64);
  return `${prefix}${safe === '' ? 'task' : safe}-${random}`;
}
