import type { Command } from 'commander';

import type { CliContext } from '../cli.types.js';
import { addAuditCommand } from './audit.command.js';
import { addAuthenticateCommand } from './authenticate.command.js';
import { addLifecycleCommands } from './lifecycle.command.js';
import { addLocksCommands } from './locks.command.js';
import { addMembersCommands } from './members.command.js';
import { addObjectsCommands } from './objects.command.js';
import { addPreReceiveCommand } from './pre-receive.command.js';
import { addProjectArchiveCommands } from './project-archive.command.js';
import { addProjectsCommands } from './projects.command.js';
import { addStatsCommand } from './stats.command.js';
import { addStorageCommands } from './storage.command.js';
import { addTokensCommands } from './tokens.command.js';
import { addUsersCommands } from './users.command.js';

/** Adds one top-level command (or group of commands) to the program, with `program.command(…)`. */
export type CommandFamily = (program: Command, ctx: CliContext) => void;

/**
 * Every top-level command, in the order `lfs-depot --help` lists them. A new command is a file under commands/
 * exporting a CommandFamily (commander's `.command()`, with withConnectionOptions and adminSession when it calls
 * the admin API), plus one line here.
 */
export const COMMANDS: readonly CommandFamily[] = [
  addUsersCommands,
  addTokensCommands,
  addProjectsCommands,
  addProjectArchiveCommands,
  addMembersCommands,
  addLocksCommands,
  addObjectsCommands,
  addLifecycleCommands,
  addStorageCommands,
  addStatsCommand,
  addAuditCommand,
  addPreReceiveCommand,
  addAuthenticateCommand,
];
