import { KolejkaError } from '@kolejka/spec';
import { hasPermission, type Principal } from '../accounts/principal.js';
import type { ScheduleRecord, Store } from '../store/store.js';

/* Who sees and changes a schedule: its owner, and the roles that read or delete any task. */

export function scheduleNotFound(id: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `Schedule ${JSON.stringify(id)} does not exist`, {
    details: { scheduleId: id },
  });
}

/** The schedule when the caller may read it; others' schedules look missing. */
export async function visibleSchedule(
  ports: { store: Store },
  principal: Principal,
  id: string,
): Promise<ScheduleRecord> {
  const schedule = /^[0-9a-f]{32}$/.test(id) ? await ports.store.getSchedule(id) : undefined;
  if (
    schedule === undefined ||
    (schedule.owner !== principal.username && !hasPermission(principal, 'task:read-any'))
  )
    throw scheduleNotFound(id);
  return schedule;
}

/** Owners and managers (admins) pause, resume, change and remove a schedule. */
export function assertMayChangeSchedule(principal: Principal, schedule: ScheduleRecord): void {
  if (schedule.owner !== principal.username && !hasPermission(principal, 'task:delete-any'))
    throw new KolejkaError(
      'KOLEJKA_FORBIDDEN',
      'Only the owner or a manager changes or removes a schedule',
    );
}
