import type { AuditAction, AuditEventView } from '@lfs-depot/contracts';
import { AUDIT_ACTIONS } from '@lfs-depot/contracts';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';

import { adminSession, withConnectionOptions, withLimitOption } from '../admin-options.js';
import type { CliContext } from '../cli.types.js';
import { formatTable } from '../output.js';

interface AuditOptions {
  project?: string;
  actor?: string;
  action?: AuditAction;
  since?: string;
  limit?: number;
}

const EVENT_COLUMNS = [
  { heading: 'time', value: (e: AuditEventView) => e.created_at },
  { heading: 'actor', value: (e: AuditEventView) => `${e.actor.name} (${e.actor.type})` },
  { heading: 'action', value: (e: AuditEventView) => e.action },
  { heading: 'target', value: (e: AuditEventView) => e.target.name },
  { heading: 'project', value: (e: AuditEventView) => e.project ?? '-' },
  { heading: 'from', value: (e: AuditEventView) => e.client_address ?? '-' },
  { heading: 'request', value: (e: AuditEventView) => e.request_id ?? '-' },
  { heading: 'details', value: (e: AuditEventView) => describeDetails(e.details) },
];

/** `lfs-depot audit` */
export function addAuditCommand(program: Command, ctx: CliContext): void {
  withLimitOption(withConnectionOptions(program.command('audit')))
    .summary('list the audit trail: admin changes, force-unlocks, object deletions, GC')
    .description(
      'Lists audited changes, newest first: when, who (a user, a platform token, the admin token or lfs-depot ' +
        'itself), the action, what it was about, the project, the client address and the request id. The filters ' +
        "combine. With --json, a JSON array of the server's event objects.",
    )
    .option('--project <path>', 'only changes to this project')
    .option('--actor <name>', "only changes by this user, platform token, 'admin' (the admin token) or 'gc'")
    .addOption(new Option('--action <action>', 'only this action').choices(AUDIT_ACTIONS))
    .option(
      '--since <time>',
      'only changes at or after this ISO 8601 date or time, e.g. 2030-01-31',
      parseTime,
    )
    .addHelpText(
      'after',
      '\nExample:\n  lfs-depot audit --project games/engine --since 2030-01-01 --limit 50',
    )
    .action(async (options: AuditOptions, command: Command) => {
      const { admin, output } = adminSession(ctx, command);
      const events = await admin().listAudit(
        { project: options.project, actor: options.actor, action: options.action, since: options.since },
        options.limit,
      );
      output.result(events, (e) => formatTable(e, EVENT_COLUMNS, 'no audited changes'));
    });
}

function parseTime(text: string): string {
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError(`'${text}' is not an ISO 8601 date or time`);
  }
  return new Date(time).toISOString();
}

/** `role=write quota_bytes=null`: an event's details on one line. */
function describeDetails(details: Record<string, unknown>): string {
  const pairs = Object.entries(details).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return pairs.length === 0 ? '-' : pairs.join(' ');
}
