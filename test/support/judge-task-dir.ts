import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A task dir laid out as kolejka-judge's `judge.py task` makes it (kolejka/judge/task.py):
 * judge.py, the solution and every test input are symbolic links to absolute paths in
 * `sources`; tests/tests.yaml is a regular file; the spec names the files with `null`.
 * The command prints each file and runs `solution/solution.sh` with `tests/001/1.in` as
 * input, so the result shows the linked contents reached the container.
 */
export async function makeJudgeTaskDir(
  taskDir: string,
  sources: string,
  image = 'kolejka-test/busybox:latest',
): Promise<void> {
  await mkdir(sources, { recursive: true });
  await writeFile(path.join(sources, 'judge.py'), 'print("judge")\n');
  await writeFile(path.join(sources, 'solution.sh'), 'read x; echo "answer $x"\n');
  await writeFile(path.join(sources, '1.in'), '42\n');
  await mkdir(path.join(taskDir, 'solution'), { recursive: true });
  await mkdir(path.join(taskDir, 'tests', '001'), { recursive: true });
  await symlink(path.join(sources, 'judge.py'), path.join(taskDir, 'judge.py'));
  await symlink(path.join(sources, 'solution.sh'), path.join(taskDir, 'solution/solution.sh'));
  await symlink(path.join(sources, '1.in'), path.join(taskDir, 'tests/001/1.in'));
  await writeFile(path.join(taskDir, 'tests/tests.yaml'), '1:\n  input: tests/001/1.in\n');
  const script = [
    'cat judge.py tests/tests.yaml',
    'sh solution/solution.sh < tests/001/1.in',
    'cat kolejka_task.json > jailed_task.json',
    // Links task code makes (in its result dir, or collected) are never followed out.
    'ln -s /etc/hostname /var/lib/kolejka/result/hostname-link',
    'ln -s /etc/hostname collected-link',
  ].join(' && ');
  const spec = {
    id: '',
    image,
    args: ['sh', '-c', `cd /var/lib/kolejka/task && ${script}`],
    files: {
      'tests/tests.yaml': null,
      'solution/solution.sh': null,
      'judge.py': null,
      'tests/001/1.in': null,
    },
    limits: { network: false, time: '30s' },
    stdout: 'console.txt',
    stderr: 'console.txt',
    collect: [{ glob: 'jailed_task.json' }, { glob: 'collected-link' }],
  };
  await writeFile(path.join(taskDir, 'kolejka_task.json'), JSON.stringify(spec));
}
