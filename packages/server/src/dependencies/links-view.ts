import type { TaskView } from '@kolejka/spec';
import type { Store, TaskLinks } from '../store/store.js';

/** Adds a task's place in the graph to its view (only what it has). */
export function withLinks(view: TaskView, links: TaskLinks | undefined): TaskView {
  if (links === undefined) return view;
  return {
    ...view,
    ...(links.dependencies.length === 0
      ? {}
      : {
          dependencies: links.dependencies.map((edge) => edge.key),
          unsatisfiedDependencies: links.unsatisfied,
        }),
    ...(links.after === undefined ? {} : { after: links.after }),
    ...(links.inputs === undefined ? {} : { inputs: links.inputs }),
    // Absent when 0, so a task outside any graph reads as it always did.
    ...(links.dependentCount === 0 ? {} : { dependentCount: links.dependentCount }),
  };
}

/** The view of one task with its links read from the store. */
export async function linkedView(
  store: Pick<Store, 'getTaskLinks'>,
  view: TaskView,
): Promise<TaskView> {
  return withLinks(view, await store.getTaskLinks(view.key, 1));
}
