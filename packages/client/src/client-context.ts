import type { Logger } from '@kolejka/spec';
import type { TokenAuth } from './auth.js';
import type { ResolvedClientOptions } from './client-options.js';
import type { Transport } from './http/transport.js';

/** What the operations of a client share: its options, its HTTP and its credentials. */
export interface ClientContext {
  options: ResolvedClientOptions;
  transport: Transport;
  auth: TokenAuth;
  logger: Logger;
}
