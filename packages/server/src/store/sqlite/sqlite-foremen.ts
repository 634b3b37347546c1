import type { ForemanChanges, ForemanRecord } from '../store.js';
import type { SqliteDb, SqliteParams } from './sqlite-db.js';
import { foremanFromRow, ms, type ForemanRow } from './sqlite-rows.js';

export function upsertForeman(db: SqliteDb, foreman: ForemanRecord): void {
  db.write(() =>
    db.run(
      `INSERT INTO foremen (id, username, tags, capacity, version, is_online, is_draining,
         server_id, last_heartbeat_at, updated_at)
       VALUES (@id, @username, @tags, @capacity, @version, @isOnline, @isDraining, @serverId,
         @lastHeartbeatAt, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET username = excluded.username, tags = excluded.tags,
         capacity = excluded.capacity, version = excluded.version,
         is_online = excluded.is_online, is_draining = excluded.is_draining,
         server_id = excluded.server_id, last_heartbeat_at = excluded.last_heartbeat_at,
         updated_at = excluded.updated_at`,
      {
        id: foreman.id,
        username: foreman.username,
        tags: JSON.stringify(foreman.tags),
        capacity: JSON.stringify(foreman.capacity),
        version: foreman.version ?? null,
        isOnline: foreman.isOnline ? 1 : 0,
        isDraining: foreman.isDraining ? 1 : 0,
        serverId: foreman.serverId ?? null,
        lastHeartbeatAt: ms(foreman.lastHeartbeatAt),
        updatedAt: ms(foreman.updatedAt),
      },
    ),
  );
}

export function getForeman(db: SqliteDb, id: string): ForemanRecord | undefined {
  const row = db.get<ForemanRow>('SELECT * FROM foremen WHERE id = @id', { id });
  return row && foremanFromRow(row);
}

export function listForemen(db: SqliteDb): ForemanRecord[] {
  return db.all<ForemanRow>('SELECT * FROM foremen ORDER BY id').map(foremanFromRow);
}

export function updateForeman(
  db: SqliteDb,
  id: string,
  changes: ForemanChanges,
  now: Date,
): ForemanRecord | undefined {
  const set: string[] = ['updated_at = @updatedAt'];
  const params: SqliteParams = { id, updatedAt: now.getTime() };
  // `key in changes` rather than `!== undefined`: an explicit undefined clears an optional field.
  if ('isOnline' in changes) {
    set.push('is_online = @isOnline');
    params.isOnline = changes.isOnline === true ? 1 : 0;
  }
  if ('isDraining' in changes) {
    set.push('is_draining = @isDraining');
    params.isDraining = changes.isDraining === true ? 1 : 0;
  }
  if ('serverId' in changes) {
    set.push('server_id = @serverId');
    params.serverId = changes.serverId ?? null;
  }
  if ('lastHeartbeatAt' in changes) {
    set.push('last_heartbeat_at = @lastHeartbeatAt');
    params.lastHeartbeatAt = ms(changes.lastHeartbeatAt);
  }
  if (changes.tags !== undefined) {
    set.push('tags = @tags');
    params.tags = JSON.stringify(changes.tags);
  }
  if (changes.capacity !== undefined) {
    set.push('capacity = @capacity');
    params.capacity = JSON.stringify(changes.capacity);
  }
  const row = db.write(() =>
    db.get<ForemanRow>(`UPDATE foremen SET ${set.join(', ')} WHERE id = @id RETURNING *`, params),
  );
  return row && foremanFromRow(row);
}
