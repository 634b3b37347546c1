import { CONSUMABLE_LIMITS, type Limits } from './limits.js';

/** The part of limits that running a task takes from a foreman's capacity. */
export type Demand = Pick<Limits, (typeof CONSUMABLE_LIMITS)[number]>;

export function demandOf(limits: Limits): Demand {
  const demand: Demand = {};
  for (const name of CONSUMABLE_LIMITS) {
    const value = limits[name];
    if (value !== undefined) demand[name] = value;
  }
  return demand;
}

/** Free capacity after starting a task (`sign` 1) or after it ends (`sign` -1). */
function shift(free: Limits, demand: Demand, sign: 1 | -1): Limits {
  const out: Limits = { ...free };
  for (const name of CONSUMABLE_LIMITS) {
    const available = free[name];
    if (available !== undefined) out[name] = available - sign * (demand[name] ?? 0);
  }
  return out;
}

export function takeCapacity(free: Limits, demand: Demand): Limits {
  return shift(free, demand, 1);
}

export function releaseCapacity(free: Limits, demand: Demand): Limits {
  return shift(free, demand, -1);
}
