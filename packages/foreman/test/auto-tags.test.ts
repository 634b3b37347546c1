import { describe, expect, it } from 'vitest';
import { autoTags, cpuModelTag, cpuTags, detectAutoTags, gpuModelTag } from '../src/auto-tags.js';

describe('cpuModelTag', () => {
  // The first three are the original's own documented examples (reference §9).
  it.each([
    ['Intel(R) Xeon(R) CPU E3-1270 v5 @ 3.60GHz', 'xeon e3-1270 v5'],
    ['Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', 'i7-8700k'],
    ['AMD EPYC 7763 64-Core Processor', 'epyc 7763 64-core processor'],
    ['AMD Ryzen 7 5800X 8-Core Processor', 'ryzen 7 5800x 8-core processor'],
    ['Intel(R) Core(TM) 2 Duo CPU     T7700  @ 2.40GHz', '2 t7700'],
    ['AMD A10-7850K Radeon R7, 12 Compute Cores 4C+8G', 'a10-7850k radeon r7, 12 compute 4c+8g'],
  ])('%s → %s', (name, tag) => {
    expect(cpuModelTag(name)).toBe(tag);
  });
});

const CPUINFO = [
  'processor\t: 0',
  'vendor_id\t: GenuineIntel',
  'model name\t: Intel(R) Xeon(R) CPU E3-1270 v5 @ 3.60GHz',
  '',
  'processor\t: 1',
  'vendor_id\t: GenuineIntel',
  'model name\t: Intel(R) Xeon(R) CPU E3-1270 v5 @ 3.60GHz',
  '',
].join('\n');

describe('cpuTags', () => {
  it('reads vendor, model and processor count', () => {
    expect(cpuTags(CPUINFO).sort()).toEqual(['cpu:intel', 'cpu:xeon e3-1270 v5', 'cpus:2']);
  });

  it('leaves out what it cannot read', () => {
    expect(cpuTags('')).toEqual([]);
    expect(cpuTags('vendor_id: SomethingElse\n')).toEqual([]);
  });
});

describe('gpu and all tags', () => {
  it('names GPUs as the original', () => {
    expect(gpuModelTag('NVIDIA A100 80GB PCIe')).toBe('a100 pcie');
    expect(gpuModelTag('NVIDIA GeForce RTX 3090')).toBe('geforce rtx 3090');
  });

  it('sorts and deduplicates every automatic tag', () => {
    expect(
      autoTags({
        cpuinfo: CPUINFO,
        hostname: 'node1',
        kernelRelease: '6.1.0-18-amd64',
        gpuNames: ['NVIDIA A100 80GB PCIe', 'NVIDIA A100 80GB PCIe'],
      }),
    ).toEqual([
      'cpu:intel',
      'cpu:xeon e3-1270 v5',
      'cpus:2',
      'gpu:a100 pcie',
      'gpu:nvidia',
      'hostname:node1',
      'kernel:6.1.0-18-amd64',
    ]);
  });

  it('detects this machine', async () => {
    const tags = await detectAutoTags();
    expect(tags).toContain(`cpus:${(await import('node:os')).cpus().length}`);
    expect(tags.some((tag) => tag.startsWith('hostname:'))).toBe(true);
    expect(tags.some((tag) => tag.startsWith('kernel:'))).toBe(true);
  });
});
