import { describe, expect, it } from 'vitest';
import { isInside, resolveInside } from '../src/index.js';
import { isSafeRelativePath } from '../src/paths.js';

describe('resolveInside', () => {
  it('joins safe relative paths', () => {
    expect(resolveInside('/tmp/task', 'a/b.txt')).toBe('/tmp/task/a/b.txt');
    expect(resolveInside('/tmp/task/', 'x')).toBe('/tmp/task/x');
  });

  it.each(['', '/etc/shadow', '../x', 'a/../../x', 'a\0', 'a//b', './a'])(
    'refuses %j',
    (relative) => {
      expect(() => resolveInside('/tmp/task', relative)).toThrow(/Path/);
      expect(isSafeRelativePath(relative)).toBe(false);
    },
  );

  it('tells inside from a sibling with the same prefix', () => {
    expect(isInside('/tmp/task', '/tmp/task/x')).toBe(true);
    expect(isInside('/tmp/task', '/tmp/task')).toBe(true);
    expect(isInside('/tmp/task', '/tmp/task2/x')).toBe(false);
    expect(isInside('/tmp/task', '/tmp')).toBe(false);
  });

  it('allows names that merely start with dots', () => {
    expect(isSafeRelativePath('..hidden')).toBe(true);
    expect(isSafeRelativePath('a/.b')).toBe(true);
  });
});
