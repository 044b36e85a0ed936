import type { Command } from '../cli.types.js';
import { authenticateCommand } from './authenticate.command.js';
import { membersCommand } from './members.command.js';
import { preReceiveCommand } from './pre-receive.command.js';
import { projectsCommand } from './projects.command.js';
import { statsCommand } from './stats.command.js';
import { tokensCommand } from './tokens.command.js';
import { usersCommand } from './users.command.js';

/**
 * Every top-level command, in the order `lfs-depot --help` lists them. A new command (`pre-receive`,
 * `authenticate`) is a new file under commands/ built with defineCommand or defineAdminCommand, plus one line here.
 */
export const COMMANDS: readonly Command[] = [
  usersCommand,
  tokensCommand,
  projectsCommand,
  membersCommand,
  statsCommand,
  preReceiveCommand,
  authenticateCommand,
];
