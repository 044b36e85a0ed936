import { describe, expect, it } from '@jest/globals';

import { captureIo } from '../test/captured-io.js';
import { defineCommand } from './command.js';
import { main } from './main.js';

// main() takes its command table as an option: a command added there runs and shows in the help.
describe(main.name, () => {
  describe('command table', () => {
    it('runs a command added to the table, with the context main built', async () => {
      const hello = defineCommand({
        name: 'hello',
        summary: 'say hello',
        usage: 'lfs-depot hello <name>',
        description: 'Greets.',
        positionals: ['name'],
        options: { loud: { type: 'boolean', help: 'shout' } },
        run({ args, values, ctx }) {
          ctx.io.stdout.write(
            `hello ${values.loud === true ? args.name.toUpperCase() : args.name} from ${ctx.cwd}\n`,
          );
          return Promise.resolve(3);
        },
      });
      const captured = captureIo();

      const code = await main(['hello', 'you', '--loud'], {}, captured.io, {
        cwd: '/somewhere',
        commands: [hello],
      });
      const help = captureIo();
      await main(['--help'], {}, help.io, { commands: [hello] });

      expect(code).toBe(3);
      expect(captured.stdout()).toBe('hello YOU from /somewhere\n');
      expect(help.stdout()).toMatch(/^ {2}hello {2,}say hello$/m);
    });
  });
});
