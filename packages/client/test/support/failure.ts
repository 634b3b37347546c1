import { expect } from 'vitest';
import { KolejkaError } from '@kolejka/spec';

/** The KolejkaError `promise` rejects with; fails the test when it resolves or throws else. */
export async function failure(promise: Promise<unknown>): Promise<KolejkaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KolejkaError);
    return error as KolejkaError;
  }
  throw new Error('expected a failure');
}
