import { KolejkaError, type Logger } from '@kolejka/spec';
import type { NewToken } from './resources.js';
import type { AuthProvider } from './http/transport.js';

export interface TokenAuthOptions {
  token?: string;
  username?: string;
  password?: string;
  logger: Logger;
}

export interface TokenIssuer {
  createToken(username: string, password: string, signal?: AbortSignal): Promise<NewToken>;
  revokeToken(id: string): Promise<void>;
}

/**
 * Credentials of a client: a token, or a user name and password (an original
 * `kolejka.conf`) traded for a token at the first request. A token made that way belongs to
 * this client alone and is revoked by `close()`, so runs do not pile tokens up.
 */
export class TokenAuth implements AuthProvider {
  #token: string | undefined;
  readonly #username: string | undefined;
  readonly #password: string | undefined;
  readonly #logger: Logger;
  #issuer: TokenIssuer | undefined;
  #login: Promise<NewToken> | undefined;
  #ownTokenIds: string[] = [];

  constructor(options: TokenAuthOptions) {
    this.#token = options.token;
    this.#username = options.username;
    this.#password = options.password;
    this.#logger = options.logger;
  }

  setIssuer(issuer: TokenIssuer): void {
    this.#issuer = issuer;
  }

  get hasCredentials(): boolean {
    return this.#username !== undefined && this.#password !== undefined;
  }

  async authorization(signal?: AbortSignal): Promise<string | undefined> {
    if (this.#token !== undefined) return `Bearer ${this.#token}`;
    if (!this.hasCredentials) return undefined;
    const token = await this.#logIn(signal);
    return `Bearer ${token.token}`;
  }

  /** After a 401: log in again when a password is known (the token may have been revoked). */
  async refresh(signal?: AbortSignal): Promise<boolean> {
    if (!this.hasCredentials) return false;
    this.#token = undefined;
    this.#login = undefined;
    await this.#logIn(signal);
    return true;
  }

  #logIn(signal?: AbortSignal): Promise<NewToken> {
    const issuer = this.#issuer;
    if (issuer === undefined) {
      throw new KolejkaError('KOLEJKA_INTERNAL', 'TokenAuth has no token issuer');
    }
    this.#login ??= (async () => {
      this.#logger.debug('logging in for a token', { username: this.#username });
      const made = await issuer.createToken(
        this.#username as string,
        this.#password as string,
        signal,
      );
      this.#token = made.token;
      this.#ownTokenIds.push(made.id);
      return made;
    })().catch((error: unknown) => {
      this.#login = undefined;
      throw error;
    });
    return this.#login;
  }

  /** Revokes the tokens this client made for itself (best effort). */
  async close(): Promise<void> {
    const issuer = this.#issuer;
    const ids = this.#ownTokenIds;
    this.#ownTokenIds = [];
    if (issuer === undefined) return;
    for (const id of ids) {
      try {
        await issuer.revokeToken(id);
      } catch (error) {
        this.#logger.debug('could not revoke a session token', { error: String(error) });
      }
    }
  }
}
