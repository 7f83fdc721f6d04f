import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { CliResult } from '../../support/cli.ts';

/**
 * `npm start` and `npm test` on a machine whose own Node is older than the project needs (this
 * machine kind ships Node 20): the launcher fetches the pinned Node from the npm registry into the
 * cache and says so in one line, or says in one line what is wrong. Run with the machine's own Node.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const manifest = (await import('../../../package.json', { with: { type: 'json' } })).default as { engines: { node: string }; nodeRuntime: string };
const needed = manifest.engines.node.replace('>=', '');

function machineOldNode(): string {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const [major, minor] = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number) as [number, number];
    if (major < 22 || (major === 22 && minor < 18)) return candidate;
  }
  throw new Error(`this test needs the machine's own Node older than ${needed} (as this machine kind ships), and found none in /usr/bin, /usr/local/bin or /bin`);
}

function run(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    // The machine's Node and npm first on PATH, as for a newcomer who has nothing else.
    const PATH = [path.dirname(node), '/usr/bin', '/bin'].join(':');
    execFile(node, args, { cwd: root, env: { HOME: process.env.HOME, PATH, ...env }, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('on an older Node, oms fetches the pinned Node once into the cache, says so in one line, and runs on it', { timeout: 300_000 }, async () => {
  const node = machineOldNode();
  const cache = await mkdtemp(path.join(tmpdir(), 'oms-node-'));

  const first = await run(node, ['src/cli/oms.mjs', '--help'], { OMS_CACHE_DIR: cache });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/^Usage: oms /);
  expect(first.stderr.trim().split('\n')).toEqual([
    `oms: Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()} is older than the ${needed} this project needs; fetching Node ${manifest.nodeRuntime} (npm package node-${process.platform}-${process.arch}@${manifest.nodeRuntime}) into ${cache}/node`,
  ]);

  const second = await run(node, ['src/cli/node-runtime.mjs', 'sh', '-c', 'node --version'], { OMS_CACHE_DIR: cache });
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).toBe('');
  // Whatever the command starts finds the fetched Node first on PATH: what `npm test` relies on.
  expect(second.stdout.trim()).toBe(`v${manifest.nodeRuntime}`);
});

test('on an older Node with the registry out of reach, oms stops with one line: found, needed, and how to get it', { timeout: 120_000 }, async () => {
  const node = machineOldNode();
  const cache = await mkdtemp(path.join(tmpdir(), 'oms-node-'));
  const result = await run(node, ['src/cli/oms.mjs', 'start'], { OMS_CACHE_DIR: cache, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' });
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(
    new RegExp(`^oms: Node v\\d+\\.\\d+\\.\\d+ found, but this project needs Node ${needed} or newer; fetching node-${process.platform}-${process.arch}@${manifest.nodeRuntime} from the npm registry failed \\(.+\\)\\. Install Node ${needed}\\+ .* and try again\\.$`),
  );
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe('');
});
