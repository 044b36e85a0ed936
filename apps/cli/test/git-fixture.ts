import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { git, sandboxGitEnvironment } from '../../../test/helpers/sandbox.mjs';

export const NULL_ID = '0'.repeat(40);

/** A Git LFS pointer for `content`, as git-lfs writes it, with the oid and size it names. */
export function lfsPointer(content: string): { text: string; oid: string; size: number } {
  const oid = createHash('sha256').update(content).digest('hex');
  const size = Buffer.byteLength(content);
  return { text: `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`, oid, size };
}

/**
 * A bare "server" repository and a working clone, in a temp folder with git isolated from the user's config.
 * `receive` makes the server hold a branch's objects without any ref pointing at them, as during pre-receive.
 */
export class GitFixture {
  private constructor(
    readonly root: string,
    readonly bare: string,
    readonly work: string,
    readonly env: Record<string, string | undefined>,
  ) {}

  static async create(): Promise<GitFixture> {
    const root = await mkdtemp(join(tmpdir(), 'lfs-depot-hook-'));
    // Without the LFS filter: pointers are committed as the plain text they are, and git-lfs need not be installed.
    const env = await sandboxGitEnvironment(root, { lfs: false });
    const fixture = new GitFixture(root, join(root, 'server.git'), join(root, 'work'), env);
    await fixture.git(root, 'init', '-q', '--bare', fixture.bare);
    await fixture.git(root, 'init', '-q', fixture.work);
    return fixture;
  }

  async git(cwd: string, ...args: string[]): Promise<string> {
    const { stdout } = await git(cwd, this.env, ...args);
    return stdout.trim();
  }

  /** Writes files (null deletes) in the working clone and commits them; returns the new commit id. */
  async commit(files: Record<string, string | null>, message = 'change'): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      if (content === null) {
        await this.git(this.work, 'rm', '-q', path);
      } else {
        await mkdir(dirname(join(this.work, path)), { recursive: true });
        await writeFile(join(this.work, path), content);
        await this.git(this.work, 'add', path);
      }
    }
    await this.git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(): Promise<string> {
    return this.git(this.work, 'rev-parse', 'HEAD');
  }

  /** Accepts a branch on the server for real (a ref update, no hook). */
  async accept(branch: string): Promise<void> {
    await this.git(this.work, 'push', '-q', '--force', this.bare, `${branch}:refs/heads/${branch}`);
  }

  /** Copies a branch's objects into the server without touching its refs. */
  async receive(branch: string): Promise<string> {
    await this.git(this.bare, 'fetch', '-q', this.work, `refs/heads/${branch}`);
    return this.git(this.work, 'rev-parse', branch);
  }

  /** The server's current id of a branch, or the null id. */
  async serverRef(branch: string): Promise<string> {
    try {
      return await this.git(this.bare, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`);
    } catch {
      return NULL_ID;
    }
  }

  remove(): Promise<void> {
    return rm(this.root, { recursive: true, force: true });
  }
}
