import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';

import { captureIo } from '../test/captured-io.js';
import type { CliContext } from './cli.types.js';
import { main } from './main.js';

// main() takes its command families as an option: a command added there runs and shows in the help.
describe(main.name, () => {
  describe('command table', () => {
    function addHello(program: Command, ctx: CliContext): void {
      program
        .command('hello')
        .summary('say hello')
        .argument('<name>')
        .option('--loud', 'shout')
        .action((name: string, options: { loud?: boolean }) => {
          ctx.io.stdout.write(`hello ${options.loud === true ? name.toUpperCase() : name} from ${ctx.cwd}\n`);
          ctx.exitCode = 3;
        });
    }

    it('runs a command added to the table, with the context main built', async () => {
      const captured = captureIo();

      const code = await main(['hello', 'you', '--loud'], {}, captured.io, {
        cwd: '/somewhere',
        commands: [addHello],
      });
      const help = captureIo();
      await main(['--help'], {}, help.io, { commands: [addHello] });

      expect(code).toBe(3);
      expect(captured.stdout()).toBe('hello YOU from /somewhere\n');
      expect(help.stdout()).toMatch(/^ {2}hello <name> {2,}say hello$/m);
    });
  });
});
