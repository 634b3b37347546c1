import { describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { formatCpuList, parseCpuList, parseProcCgroup, pickCpus } from '../src/index.js';

describe('CPU lists', () => {
  it('parses and formats the kernel format', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
    expect(formatCpuList([5, 0, 1, 2, 9, 10])).toBe('0-2,5,9-10');
    expect(formatCpuList([])).toBe('');
    expect(() => parseCpuList('0-a')).toThrow(/invalid CPU list/);
  });

  it('picks consecutive CPUs at the offset, wrapping, at most all of them', () => {
    expect(pickCpus([0, 1, 2, 3], 2)).toEqual([0, 1]);
    expect(pickCpus([0, 1, 2, 3], 2, 1)).toEqual([1, 2]);
    expect(pickCpus([0, 1, 2, 3], 2, 3)).toEqual([0, 3]);
    expect(pickCpus([4, 6, 8], 1, 4)).toEqual([6]);
    expect(pickCpus([0, 1], 5)).toEqual([0, 1]);
    const error = (() => {
      try {
        pickCpus([0, 1], 0);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
  });
});

describe('/proc/<pid>/cgroup', () => {
  it('parses v1 and v2 lines, paths with colons included', () => {
    expect(parseProcCgroup('4:memory:/process_api/x\n2:cpu,cpuacct:/a:b\n0::/\n')).toEqual([
      { hierarchyId: 4, controllers: ['memory'], path: '/process_api/x' },
      { hierarchyId: 2, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
  });
});
