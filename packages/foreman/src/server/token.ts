import { KolejkaClient } from '@kolejka/client';
import { KolejkaError, type Logger } from '@kolejka/spec';
import type { ResolvedForemanOptions } from '../options.js';

/** The foreman's token: given, or made from a processor user's name and password. */
export async function resolveToken(
  options: Pick<ResolvedForemanOptions, 'token' | 'username' | 'password' | 'servers' | 'id'>,
  logger: Logger,
): Promise<string> {
  if (options.token !== undefined) return options.token;
  if (options.username !== undefined && options.password !== undefined) {
    const anonymous = new KolejkaClient({ server: options.servers, logger });
    const made = await anonymous.createToken(options.username, options.password, {
      label: `kolejka-foreman ${options.id}`,
    });
    return made.token;
  }
  throw new KolejkaError(
    'KOLEJKA_UNAUTHORIZED',
    'No token: give the token of a processor user with --token or KOLEJKA_TOKEN (kolejka-server token create USER)',
  );
}
