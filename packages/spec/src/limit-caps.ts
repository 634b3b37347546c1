import { combineLimits, type Limits } from './limits.js';

/**
 * Applies caps (a user's configured limits, a server's maxima) to a task's limits: every
 * field becomes the smaller set value, as `combineLimits`, except that caps without `gpus`
 * leave the task's GPU request alone. `combineLimits` treats an absent `gpus` as "no GPUs"
 * (the original's update), which would silently strip GPUs from every task whenever the
 * caps simply do not mention them.
 */
export function capLimits(limits: Limits, caps: Limits): Limits {
  const effectiveCaps: Limits =
    caps.gpus === undefined && limits.gpus !== undefined ? { ...caps, gpus: limits.gpus } : caps;
  return combineLimits(limits, effectiveCaps);
}
