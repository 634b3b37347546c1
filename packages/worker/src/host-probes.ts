import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { OBSERVER_SOCKET_PATH } from '@kolejka/spec';

/** GPUs reported by `nvidia-smi` (0 when it is absent or fails), as the original. */
export function countGpus(): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index', '--format=csv,noheader'],
      { timeout: 10_000 },
      (error, stdout) => {
        if (error) {
          resolve(0);
          return;
        }
        resolve(stdout.split('\n').filter((line) => line.trim() !== '').length);
      },
    );
  });
}

/** One GPU as `nvidia-smi` reports it. */
export interface GpuInfo {
  index: number;
  uuid: string;
  /** Product name, e.g. "NVIDIA A100 80GB PCIe". */
  name: string;
  /** Total memory in bytes. */
  memoryBytes: number;
}

const MIB = 1024 * 1024;

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`
 * (memory in MiB). Lines that do not parse are skipped: a driver message is no GPU.
 */
export function parseNvidiaSmiGpus(csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of csv.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 4) continue;
    const index = Number(fields[0]);
    const memoryMiB = Number(fields[fields.length - 1]);
    // A product name could hold a comma: it is everything between the uuid and the memory.
    const name = fields.slice(2, -1).join(', ');
    if (!Number.isInteger(index) || !Number.isFinite(memoryMiB) || name === '') continue;
    gpus.push({ index, uuid: fields[1] ?? '', name, memoryBytes: Math.round(memoryMiB * MIB) });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/** The GPUs `nvidia-smi` lists (none when it is absent or fails), for foremen's capacity and tags. */
export function detectGpus(): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'],
      { timeout: 10_000 },
      (error, stdout) => resolve(error ? [] : parseNvidiaSmiGpus(stdout)),
    );
  });
}

/** Whether the observer's socket exists on the host (then it is bound into the container). */
export async function observerSocketExists(socketPath = OBSERVER_SOCKET_PATH): Promise<boolean> {
  try {
    return (await stat(socketPath)).isSocket();
  } catch {
    return false;
  }
}
