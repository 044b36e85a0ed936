import { AdminClient } from './admin.client.js';
import type { OptionSpecs, OptionValues } from './args.js';
import type { Command } from './cli.types.js';
import type { CommandInput, CommandSpec } from './command.js';
import { defineCommand } from './command.js';
import { resolveConnection } from './connection.js';
import { Output } from './output.js';

/** Options every admin API command accepts. */
export const ADMIN_OPTIONS = {
  json: { type: 'boolean', help: "print the server's JSON answer instead of text" },
  url: {
    type: 'string',
    value: 'url',
    help: 'server base URL (default: $LFS_DEPOT_URL, else http://127.0.0.1:8080)',
  },
  token: {
    type: 'string',
    value: 'token',
    help: 'admin token (default: $LFS_DEPOT_TOKEN, else ./data/admin-token)',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies OptionSpecs;

/** What an admin command's handler receives on top of its parsed arguments. */
export interface AdminCommandInput<O extends OptionSpecs, P extends readonly string[]> extends CommandInput<
  O & typeof ADMIN_OPTIONS,
  P
> {
  /**
   * Resolves --url/--token and the environment into a client. Lazy so that argument mistakes are reported
   * (exit 2) before a missing token is (exit 1).
   */
  readonly admin: () => AdminClient;
  readonly output: Output;
}

/** The description of an admin command; a CommandSpec whose handler also gets a client and an Output. */
export interface AdminCommandSpec<O extends OptionSpecs, P extends readonly string[]> extends Omit<
  CommandSpec<O, P>,
  'run'
> {
  run(input: AdminCommandInput<O, P>): Promise<void>;
}

/** Builds a command that talks to the admin API, adding --json, --url, --token and --help to its options. */
export function defineAdminCommand<const O extends OptionSpecs, const P extends readonly string[]>(
  spec: AdminCommandSpec<O, P>,
): Command {
  return defineCommand({
    ...spec,
    options: { ...spec.options, ...ADMIN_OPTIONS },
    async run(input) {
      const { ctx } = input;
      // ADMIN_OPTIONS are spread last above, so these keys always have the admin option types.
      const values = input.values as OptionValues<typeof ADMIN_OPTIONS>;
      const output = new Output(ctx.io.stdout, values.json ?? ctx.globals.json ?? false);
      const admin = (): AdminClient =>
        new AdminClient(
          resolveConnection({
            env: ctx.env,
            cwd: ctx.cwd,
            url: values.url ?? ctx.globals.url,
            token: values.token ?? ctx.globals.token,
          }),
        );
      await spec.run({ ...input, admin, output });
    },
  });
}
