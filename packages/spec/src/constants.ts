/** Names and paths that are part of the original platform's contract (reference header). */
export const TASK_SPEC_FILE = 'kolejka_task.json';
export const RESULT_SPEC_FILE = 'kolejka_result.json';

/** The observer's unix socket, on the host and at the same path inside task containers. */
export const OBSERVER_SOCKET_PATH = '/var/run/kolejka/observer/socket';
export const OBSERVER_PID_PATH = '/var/run/kolejka/observer/pid';

/** Layout inside a task container. */
export const CONTAINER_WORK_DIR = '/var/lib/kolejka';
export const CONTAINER_TASK_DIR = '/var/lib/kolejka/task';
export const CONTAINER_RESULT_DIR = '/var/lib/kolejka/result';
export const CONTAINER_HOSTNAME = 'kolejka';

/** PATH given to task commands (reference §4.4 item 7). */
export const TASK_DEFAULT_PATH = '/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin';

/** The environment every task command starts from; the task's `environment` overrides it. */
export function taskDefaultEnvironment(): Record<string, string> {
  return {
    IFS: ' ',
    PATH: TASK_DEFAULT_PATH,
    PWD: CONTAINER_TASK_DIR,
    USER: 'root',
    HOME: CONTAINER_TASK_DIR,
  };
}
