import os from 'node:os';
import type { Argv } from 'yargs';
import { ask, askHidden, readFirstLine } from '@kolejka/cli-kit/prompt';
import { KolejkaError } from '@kolejka/spec';
import { saveToken } from '../../config/client-json.js';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';

interface LoginArgs extends GlobalArgs {
  username?: string;
  'password-stdin'?: boolean;
  label?: string;
}

export function loginCommand(run: Runner) {
  return {
    command: 'login',
    describe:
      'Trade a user name and password for an API token of the server and store it in client.json (mode 0600)',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option('username', {
          type: 'string',
          describe: 'User name (default: kolejka.conf username, else asked)',
        })
        .option('password-stdin', {
          type: 'boolean',
          describe: 'Read the password from the first line of standard input',
        })
        .option('label', {
          type: 'string',
          describe: 'What the token is for (shown in token lists)',
        }),
    handler: (argv: LoginArgs) =>
      run(argv, async (session) => {
        const config = await session.config();
        const username =
          argv.username ?? config.username?.value ?? (await ask(session.io, 'User name: '));
        if (username === '') throw new KolejkaError('KOLEJKA_VALIDATION', 'The user name is empty');
        const password =
          argv['password-stdin'] === true
            ? await readFirstLine(session.io.stdin)
            : argv.username === undefined && config.password !== undefined
              ? config.password.value
              : await askHidden(session.io, `Password for ${username}: `);
        if (password === '') throw new KolejkaError('KOLEJKA_VALIDATION', 'The password is empty');
        const client = await session.client();
        const made = await client.createToken(username, password, {
          label: argv.label ?? `kolejka-client on ${os.hostname()}`,
          signal: session.io.signal,
        });
        const servers = config.server.value;
        await saveToken(config.files.clientJson, servers, made.token);
        session.output.info(
          `Logged in to ${servers.join(', ')} as ${made.username} (${made.roles.join(', ') || 'no roles'}); token stored in ${config.files.clientJson}`,
          {
            server: servers,
            username: made.username,
            roles: made.roles,
            tokenId: made.id,
            configFile: config.files.clientJson,
          },
        );
      }),
  };
}
