import type { Store, TokenRecord } from '../store/store.js';
import { newTokenId, newTokenSecret, sha256Hex } from './tokens.js';

/**
 * Creates an API token for `username` (login, an admin's token for a user, the CLI): the
 * store keeps only its hash; the secret is returned once, for the caller to show.
 */
export async function issueToken(
  store: Pick<Store, 'createToken'>,
  username: string,
  now: Date,
  label?: string,
): Promise<{ token: TokenRecord; secret: string }> {
  const secret = newTokenSecret();
  const token: TokenRecord = {
    id: newTokenId(),
    username,
    tokenHash: sha256Hex(secret),
    createdAt: now,
    ...(label === undefined ? {} : { label }),
  };
  await store.createToken(token);
  return { token, secret };
}
