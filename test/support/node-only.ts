import { existsSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** What a machine with Node has anyway: a shell, env, and coreutils; none of the stack's tools. */
const BASIC = ['sh', 'env', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'dirname', 'basename', 'uname', 'date', 'sleep', 'true', 'false', 'echo', 'head', 'tail', 'tr', 'sort', 'id'];
/** What the local stack once asked the machine for. */
export const STACK_TOOLS = ['java', 'mvn', 'python3', 'python', 'pip', 'redis-server', 'valkey-server', 'temporal'];

/**
 * A PATH holding only this Node and the basic tools, as symlinks in a folder of their own: what a fresh
 * machine with nothing but Node offers. Throws if a stack tool is reachable through it.
 */
export async function nodeOnlyPath(): Promise<string> {
  const bin = await mkdtemp(path.join(tmpdir(), 'oms-node-only-'));
  for (const tool of BASIC) {
    const found = ['/usr/bin', '/bin'].map((dir) => path.join(dir, tool)).find((candidate) => existsSync(candidate));
    if (found) await symlink(found, path.join(bin, tool));
  }
  const value = [path.dirname(process.execPath), bin].join(path.delimiter);
  const reachable = STACK_TOOLS.filter((tool) => value.split(path.delimiter).some((dir) => existsSync(path.join(dir, tool))));
  if (reachable.length > 0) throw new Error(`node-only PATH reaches ${reachable.join(', ')}`);
  return value;
}
