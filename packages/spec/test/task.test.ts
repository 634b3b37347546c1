import { describe, expect, it } from 'vitest';
import { KolejkaError, assertRunnable, canonicalJson, dumpTask, parseTask } from '../src/index.js';
import { fixture, fixtureJson } from './fixtures.js';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KolejkaError);
    expect((error as KolejkaError).code).toBe('KOLEJKA_VALIDATION');
    return (error as KolejkaError).issues;
  }
  throw new Error('expected a validation error');
}

describe('parseTask', () => {
  it('reads an original-style task (strings, nulls, numbers) into the canonical dump, byte for byte', () => {
    const task = parseTask(fixtureJson('task-original-style.json'));
    expect(canonicalJson(dumpTask(task))).toBe(fixture('task-canonical.json'));
  });

  it('keeps the canonical form stable: parse(dump(x)) dumps the same', () => {
    const canonical = fixture('task-canonical.json');
    expect(canonicalJson(dumpTask(parseTask(JSON.parse(canonical))))).toBe(canonical);
  });

  it('fills the always-present fields of an empty task', () => {
    expect(dumpTask(parseTask({}))).toEqual({
      requires: [],
      limits: {},
      environment: {},
      args: [],
      files: {},
      collect: [],
    });
  });

  it('turns files given as a string or null into path specs', () => {
    const task = parseTask({
      files: { 'a.txt': 'src/a.txt', 'b.txt': null, c: { reference: 'r1' } },
    });
    expect(task.files).toEqual({
      'a.txt': { path: 'src/a.txt' },
      'b.txt': { path: 'b.txt' },
      c: { reference: 'r1' },
    });
  });

  it('reports every problem at once, each with its JSON path', () => {
    const issues = issuesOf(() =>
      parseTask({
        image: 5,
        limits: { memory: '64Mi', time: '1sec', cpus: 'two', network: [] },
        args: ['ok', { no: 1 }],
        environment: { A: null },
        collect: [{ strip: 1 }],
        callback_url: 'ftp://x',
      }),
    );
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/image',
        '/limits/memory',
        '/limits/time',
        '/limits/cpus',
        '/limits/network',
        '/args/1',
        '/environment/A',
        '/collect/0',
        '/callback_url',
      ]),
    );
    expect(issues.find((issue) => issue.path === '/limits/memory')?.message).toMatch(
      /unknown suffix "Mi"/,
    );
    expect(issues.find((issue) => issue.path === '/collect/0')?.message).toMatch(
      /required field "glob"/,
    );
  });

  it('names the field in the error message a person reads', () => {
    expect(() => parseTask({ limits: { memory: '64Mi' } })).toThrow(
      /Invalid task: limits\.memory "64Mi" is not a valid memory size/,
    );
    expect(() => parseTask([])).toThrow(/Invalid task: \(document\) must be object/);
  });
});

describe('unsafe paths', () => {
  const UNSAFE: [string, RegExp][] = [
    ['', /is empty/],
    ['/etc/passwd', /is absolute/],
    ['../x', /"\.\."/],
    ['a/../../x', /"\.\."/],
    ['a/..', /"\.\."/],
    ['a\0b', /NUL/],
    ['a//b', /empty component/],
    ['a/', /empty component/],
    ['./a', /"\." component/],
  ];

  it.each(UNSAFE)('file name %j is refused', (name, message) => {
    const issues = issuesOf(() => parseTask({ files: { [name]: { reference: 'r' } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(`/files/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    expect(issues[0]?.message).toMatch(message);
  });

  it.each(UNSAFE)('file path %j is refused, as object or bare string', (value, message) => {
    expect(issuesOf(() => parseTask({ files: { a: { path: value } } }))[0]).toMatchObject({
      path: '/files/a/path',
      message,
    });
    expect(issuesOf(() => parseTask({ files: { a: value } }))[0]).toMatchObject({
      path: '/files/a',
      message,
    });
  });

  it.each(['stdin', 'stdout', 'stderr'])('%s is checked', (field) => {
    for (const [value, message] of UNSAFE) {
      expect(issuesOf(() => parseTask({ [field]: value }))[0]).toMatchObject({
        path: `/${field}`,
        message,
      });
    }
  });

  it('checks collect globs and prefixes', () => {
    for (const [value, message] of UNSAFE) {
      expect(issuesOf(() => parseTask({ collect: [{ glob: value }] }))[0]).toMatchObject({
        path: '/collect/0/glob',
        message,
      });
    }
    for (const value of ['..', 'a/../..', '../x', 'a\0', 'a//b']) {
      expect(issuesOf(() => parseTask({ collect: [{ glob: '*', prefix: value }] }))[0]?.path).toBe(
        '/collect/0/prefix',
      );
    }
  });

  it('strips slashes around a prefix as the original does; empty means none', () => {
    const task = parseTask({
      collect: [
        { glob: '*', prefix: '/res/' },
        { glob: '*', prefix: '' },
        { glob: '*', prefix: '/' },
      ],
    });
    expect(task.collect.map((rule) => rule.prefix)).toEqual(['res', '', '']);
  });
});

describe('assertRunnable', () => {
  it('requires an image and a command', () => {
    expect(() => assertRunnable(parseTask({ image: 'x', args: ['true'] }))).not.toThrow();
    const issues = issuesOf(() => assertRunnable(parseTask({})));
    expect(issues.map((issue) => issue.path)).toEqual(['/image', '/args']);
  });
});

describe('prototype-named keys', () => {
  it('keeps a file named "__proto__" as a file, and an environment variable too', () => {
    const task = parseTask(
      JSON.parse('{"files": {"__proto__": {"reference": "r"}}, "environment": {"__proto__": "x"}}'),
    );
    expect(Object.keys(task.files)).toEqual(['__proto__']);
    expect(Object.hasOwn(task.files, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(task.files)).toBe(Object.prototype);
    expect(Object.keys(task.environment)).toEqual(['__proto__']);
    expect(canonicalJson(dumpTask(task))).toContain('"__proto__": {\n      "reference": "r"');
  });
});
