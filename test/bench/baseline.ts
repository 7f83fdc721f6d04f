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
 * A checkout of `rev` under .cache/bench/, from this repository's history. Inside the repository, its
 * imports resolve to this checkout's node_modules when every package it locks is here at the same
 * version (the two differ only in their code); otherwise it gets node_modules of its own, by `npm ci`
 * from its lock, once. Returns the path of its `oms` entry.
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
  // Every package it locks must be installed here at its version (this checkout may have more).
  type Lock = { packages: Record<string, { version?: string }> };
  const [ours, theirs] = await Promise.all([path.join(root, 'package-lock.json'), path.join(dir, 'package-lock.json')].map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Lock));
  const differing = Object.entries(theirs!.packages).filter(([name, entry]) => name !== '' && ours!.packages[name]?.version !== entry.version);
  if (differing.length > 0 && !existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) {
    console.error(`[bench] ${rev} locks other versions (${differing.slice(0, 3).map(([name, entry]) => `${name.replace('node_modules/', '')} ${entry.version}`).join(', ')}): npm ci in its checkout`);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).catch((error: Error) => {
      throw new Error(`bench: npm ci for ${rev} failed, so it isn't compared: ${error.message.split('\n')[0]}`);
    });
  }
  return entry;
}
