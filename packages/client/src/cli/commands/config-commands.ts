import type { Argv } from 'yargs';
import { LIMIT_NAMES, dumpLimits, type LimitName } from '@kolejka/spec';
import { kolejkaConfSearchPath } from '../../config/kolejka-conf.js';
import type { Setting } from '../../config/resolve-config.js';
import { maskSecret } from '../format.js';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';

function canonical(name: LimitName, value: number | boolean): string | number | boolean {
  return dumpLimits({ [name]: value })[name] as string | number | boolean;
}

export function configCommands(run: Runner, etcDir: string | undefined) {
  return {
    command: 'config <command>',
    describe: 'Configuration: show',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'show',
          'Show the effective settings and where each comes from (secrets masked)',
          (command) => command,
          (argv) =>
            run(argv, async (session) => {
              const config = await session.config();
              const settings: Record<string, Setting<unknown>> = {
                server: { value: config.server.value, source: config.server.source },
              };
              if (config.token !== undefined) {
                settings.token = {
                  value: maskSecret(config.token.value),
                  source: config.token.source,
                };
              }
              if (config.username !== undefined) settings.username = config.username;
              if (config.password !== undefined) {
                settings.password = {
                  value: maskSecret(config.password.value),
                  source: config.password.source,
                };
              }
              for (const name of LIMIT_NAMES) {
                const limit = config.limits[name];
                if (limit !== undefined) {
                  settings[`limits.${name}`] = {
                    value: canonical(name, limit.value),
                    source: limit.source,
                  };
                }
              }
              const files = {
                kolejkaConf: config.files.kolejkaConf ?? null,
                kolejkaConfSection: config.files.section ?? null,
                kolejkaConfSearched:
                  argv['config-file'] === undefined
                    ? kolejkaConfSearchPath(session.env, etcDir)
                    : [argv['config-file']],
                clientJson: config.files.clientJson,
                clientJsonExists: config.files.hasClientJson,
              };
              if (session.output.isJson) {
                session.output.json({ settings, files });
                return;
              }
              const rows = Object.entries(settings).map(([name, setting]) => [
                name,
                Array.isArray(setting.value) ? setting.value.join(',') : String(setting.value),
                setting.source,
              ]);
              const widths = [0, 1].map((column) =>
                Math.max(...rows.map((row) => (row[column] as string).length)),
              );
              const lines = rows.map(
                ([name, value, source]) =>
                  `${(name as string).padEnd(widths[0] as number)}  ${(value as string).padEnd(widths[1] as number)}  (${source as string})`,
              );
              if (config.token === undefined && config.username === undefined) {
                lines.push('no token: run kolejka-client login, or set KOLEJKA_TOKEN or --token');
              }
              lines.push(
                `kolejka.conf: ${files.kolejkaConf === null ? `none (looked in ${files.kolejkaConfSearched.join(', ')})` : `${files.kolejkaConf} [${files.kolejkaConfSection ?? ''}]`}`,
                `client.json:  ${files.clientJson}${files.clientJsonExists ? '' : ' (not there yet)'}`,
              );
              session.output.value(lines.join('\n'), undefined);
            }),
        )
        .demandCommand(1, 'Give a config command: show'),
    handler: () => undefined,
  };
}
