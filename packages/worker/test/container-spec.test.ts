import { describe, expect, it } from 'vitest';
import { OBSERVER_SOCKET_PATH, parseTask } from '@kolejka/spec';
import { chooseGpus, containerName, containerSpec, GPU_SHM_BYTES } from '../src/container/spec.js';

const task = parseTask({
  id: 'task-1',
  image: 'kolejka-test/busybox:latest',
  args: ['sh', 'run.sh'],
  environment: { HOME: '/custom', EXTRA: 1 },
});

const plan = {
  name: 'kolejka-worker-task-1-abcd',
  task,
  taskDir: '/jail/work/task',
  resultDir: '/jail/work/result',
  storageSupported: false,
  observerSocket: false,
  hasStdin: false,
  attachOutput: true,
};

describe('the container a task gets', () => {
  it('runs the args as the command with the original layout, init and hardening', () => {
    const spec = containerSpec({ ...plan, limits: {} });
    expect(spec).toMatchObject({
      name: 'kolejka-worker-task-1-abcd',
      Image: 'kolejka-test/busybox:latest',
      Cmd: ['sh', 'run.sh'],
      Entrypoint: [],
      Hostname: 'kolejka',
      WorkingDir: '/var/lib/kolejka/task',
      HostConfig: {
        Init: true,
        Privileged: false,
        SecurityOpt: ['no-new-privileges'],
        CapAdd: ['SYS_NICE'],
        LogConfig: { Type: 'none' },
        Mounts: [
          {
            Type: 'bind',
            Source: '/jail/work/task',
            Target: '/var/lib/kolejka/task',
            ReadOnly: false,
          },
          {
            Type: 'bind',
            Source: '/jail/work/result',
            Target: '/var/lib/kolejka/result',
            ReadOnly: false,
          },
        ],
      },
    });
    expect(spec.Env).toEqual([
      'IFS= ',
      'PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin',
      'PWD=/var/lib/kolejka/task',
      'USER=root',
      'HOME=/custom',
      'EXTRA=1',
    ]);
    expect(spec.HostConfig.NetworkMode).toBeUndefined();
    expect(spec.HostConfig.Memory).toBeUndefined();
  });

  it('maps every limit to HostConfig', () => {
    const spec = containerSpec({
      ...plan,
      limits: {
        memory: 64 << 20,
        swap: 16 << 20,
        pids: 32,
        network: false,
        storage: 1 << 30,
        gpus: 1,
      },
      cpuset: '2-3',
      gpuIds: ['1'],
      storageSupported: true,
      cgroupParent: '/kolejka-worker/x',
      observerSocket: true,
    });
    expect(spec.HostConfig).toMatchObject({
      Memory: 64 << 20,
      MemorySwap: 80 << 20,
      PidsLimit: 32,
      NetworkMode: 'none',
      CpusetCpus: '2-3',
      StorageOpt: { size: String(1 << 30) },
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['1'], Capabilities: [['gpu']] }],
      ShmSize: GPU_SHM_BYTES,
      CgroupParent: '/kolejka-worker/x',
    });
    expect(spec.HostConfig.Mounts).toContainEqual({
      Type: 'bind',
      Source: OBSERVER_SOCKET_PATH,
      Target: OBSERVER_SOCKET_PATH,
      ReadOnly: false,
    });
  });

  it('gives no swap unless asked: MemorySwap equals Memory', () => {
    const spec = containerSpec({ ...plan, limits: { memory: 1000 } });
    expect(spec.HostConfig.MemorySwap).toBe(1000);
  });

  it('sets no storage quota where the driver cannot enforce it, and no GPUs for none', () => {
    const spec = containerSpec({ ...plan, limits: { storage: 1 << 20, gpus: 0 } });
    expect(spec.HostConfig.StorageOpt).toBeUndefined();
    expect(spec.HostConfig.DeviceRequests).toBeUndefined();
    expect(spec.HostConfig.ShmSize).toBeUndefined();
  });

  it('opens stdin only when the task has one', () => {
    const spec = containerSpec({ ...plan, limits: {}, hasStdin: true });
    expect(spec).toMatchObject({ OpenStdin: true, StdinOnce: true, AttachStdin: true });
  });

  it('picks GPUs from the offset, wrapping, without duplicates', () => {
    expect(chooseGpus(4, 2, 3)).toEqual(['0', '3']);
    expect(chooseGpus(2, 5, 0)).toEqual(['0', '1']);
    expect(chooseGpus(0, 1, 0)).toEqual([]);
  });

  it('names containers kolejka-worker-<id>-<random>, with the id made safe', () => {
    expect(containerName('abc', 'ff')).toBe('kolejka-worker-abc-ff');
    expect(containerName('a b/../c', 'ff')).toBe('kolejka-worker-a-b-..-c-ff');
    expect(containerName('abc', 'ff', 'kolejka-foreman-')).toBe('kolejka-foreman-abc-ff');
  });
});
