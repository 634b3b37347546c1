import { KolejkaError } from '@kolejka/spec';
import { dockerMessage } from './api-error.js';

/** A Docker failure as a KOLEJKA_DOCKER error saying what was being done. */
export function dockerError(what: string, error: unknown): KolejkaError {
  if (error instanceof KolejkaError) return error;
  return new KolejkaError('KOLEJKA_DOCKER', `${what}: ${dockerMessage(error)}`, { cause: error });
}
