#!/usr/bin/env node
// Plain JavaScript on purpose: this file must run on the Node a machine ships, however old, to say
// what is wrong or to fetch the Node the project needs. Everything else is TypeScript run by Node's
// type stripping (Node >= 22.18).
//
//   node src/cli/node-runtime.mjs <command> [args...]
//
// runs <command> with a Node that satisfies package.json `engines.node` first on PATH: the machine's
// own when it is new enough, otherwise the pinned `nodeRuntime` version from the npm registry
// (package node-<platform>-<arch>), unpacked once into the project's cache. `npm start`, `npm test`
// and .ci/run all go through here, so the README's commands are exactly what CI runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const needed = manifest.engines.node.replace(/^>=\s*/, '');
const pinned = manifest.nodeRuntime;
const cacheDir = process.env.OMS_CACHE_DIR || path.join(root, '.cache');

const parse = (version) => version.replace(/^v/, '').split('.').map(Number);
function atLeast(version, minimum) {
  const [a, b] = [parse(version), parse(minimum)];
  for (let i = 0; i < 3; i += 1) if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  return true;
}

/** One line, no stack trace: what was found, what is needed, and how to get it. */
function fail(reason) {
  console.error(
    `oms: Node ${process.version} found, but this project needs Node ${needed} or newer; ${reason}. ` +
      `Install Node ${needed}+ (for example \`nvm install ${pinned.split('.')[0]}\`, or from nodejs.org) and try again.`,
  );
  process.exit(1);
}

/** The bin folder of a Node new enough, fetching the pinned one into the cache when the machine's is too old. */
export function nodeBinDir() {
  if (atLeast(process.version, needed)) return path.dirname(process.execPath);
  const home = path.join(cacheDir, 'node');
  const binary = path.join(home, 'bin', 'node');
  const installed = existsSync(binary) ? spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  if (installed === `v${pinned}`) return path.dirname(binary);

  if (!['linux', 'darwin'].includes(process.platform)) fail(`no prebuilt Node package is fetched for ${process.platform}`);
  const pkg = `node-${process.platform}-${process.arch}@${pinned}`;
  console.error(`oms: Node ${process.version} is older than the ${needed} this project needs; fetching Node ${pinned} (npm package ${pkg}) into ${home}`);
  mkdirSync(cacheDir, { recursive: true });
  // Unpack beside the final place and rename, so a concurrent or interrupted run never sees half a Node.
  const staging = mkdtempSync(path.join(cacheDir, 'node-'));
  try {
    const packed = spawnSync('npm', ['pack', '--loglevel=error', pkg], { cwd: staging, encoding: 'utf8', shell: process.platform === 'win32' });
    if (packed.status !== 0) {
      const said = `${packed.stderr ?? ''}\n${packed.error?.message ?? ''}`.split('\n').map((line) => line.replace(/^npm error\s*/, '').trim());
      fail(`fetching ${pkg} from the npm registry failed (${said.find((line) => line !== '') ?? `npm exited ${packed.status}`})`);
    }
    const tarball = path.join(staging, packed.stdout.trim().split('\n').pop());
    const unpacked = path.join(staging, 'node');
    mkdirSync(unpacked);
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], { encoding: 'utf8' });
    if (tar.status !== 0) fail(`unpacking ${pkg} failed: ${tar.stderr.trim()}`);
    rmSync(home, { recursive: true, force: true });
    renameSync(unpacked, home);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return path.dirname(binary);
}

/** Runs the command with the right Node first on PATH, passing signals on and its exit status back. */
export function runWithNode(command, args) {
  const bin = nodeBinDir();
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(command === 'node' ? path.join(bin, 'node') : command, args, { stdio: 'inherit', env });
  // Ctrl-C already reaches the child through the terminal's process group: just outlive it.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`oms: could not run ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.log(nodeBinDir());
  } else {
    runWithNode(command, args);
  }
}
