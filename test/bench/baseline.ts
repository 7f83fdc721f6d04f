import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * Main as issue 28 measured it, before any of its cuts (the commit before the cost section landed):
 * the bench runs it beside today's code to compare the rate at saturation.
 */
export const MAIN_BEFORE_ISSUE_28 = '25fa527';

/**
 * A checkout of `rev` under .cache/bench/, from this repository's history (no network). Inside the
 * repository, its imports resolve to this checkout's node_modules, so its lockfile must be the same:
 * the two differ only in their code. Returns the path of its `oms` entry.
 */
export async function checkoutOf(rev: string): Promise<string> {
  const { stdout } = await run('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: root }).catch(() => {
    throw new Error(`bench: commit ${rev} is not in this clone's history (a shallow clone?); fetch it to compare against it`);
  });
  const sha = stdout.trim();
  const dir = path.join(root, '.cache', 'bench', `checkout-${sha.slice(0, 12)}`);
  const entry = path.join(dir, 'src', 'cli', 'oms.ts');
  if (!existsSync(entry)) {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    // git archive | tar, without a shell: the archive as a buffer, then tar reads it on stdin.
    const archive = await run('git', ['archive', '--format=tar', sha], { cwd: root, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      const tar = execFile('tar', ['-x', '-C', partial], (error) => (error ? reject(new Error(`bench: unpacking ${rev}: ${error.message}`)) : resolve()));
      tar.stdin!.end(archive.stdout);
    });
    await rename(partial, dir);
  }
  const [ours, theirs] = await Promise.all([readFile(path.join(root, 'package-lock.json'), 'utf8'), readFile(path.join(dir, 'package-lock.json'), 'utf8')]);
  if (ours !== theirs) throw new Error(`bench: ${rev} locks other packages than this checkout; it can't share node_modules, so it isn't compared`);
  return entry;
}
