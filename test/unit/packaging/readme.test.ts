import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { expect, test } from 'vitest';
import { runOms } from '../../support/cli.ts';

const root = path.resolve(import.meta.dirname, '../../..');

test('the README is a front page of at most 200 lines that links every page of docs/, and every link resolves', async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  const pages = (await readdir(path.join(root, 'docs'))).filter((file) => file.endsWith('.md'));
  expect(pages.length).toBeGreaterThanOrEqual(7);
  for (const page of pages) expect(readme, page).toContain(`](docs/${page})`);
  for (const [file, text] of [['README.md', readme] as const, ...(await Promise.all(pages.map(async (page) => [`docs/${page}`, await readFile(path.join(root, 'docs', page), 'utf8')] as const)))]) {
    for (const [, target] of text.matchAll(/\]\((?!https?:|#)([^)#]+)(?:#[^)]*)?\)/g)) {
      await expect(access(path.resolve(path.dirname(path.join(root, file)), target!)), `${file} links ${target}`).resolves.toBeUndefined();
    }
  }
});

test('the manual documents every oms command, and the quickstart commands exist', async () => {
  const manual = (await Promise.all(['README.md', ...(await readdir(path.join(root, 'docs'))).filter((page) => page.endsWith('.md')).map((page) => `docs/${page}`)].map((file) => readFile(path.join(root, file), 'utf8')))).join('\n');
  const help = await runOms(['--help'], {});
  const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  expect(commands.length).toBeGreaterThanOrEqual(10);
  for (const command of commands) expect(manual, command).toMatch(new RegExp(`oms ${command}\\b`));
  const devHelp = await runOms(['dev', '--help'], {});
  const devCommands = [...devHelp.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  expect(devCommands).toEqual(expect.arrayContaining(['up', 'down', 'restart', 'reset', 'status']));
  for (const command of devCommands) expect(manual, `dev ${command}`).toMatch(new RegExp(`oms dev ${command}\\b`));

  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const scripts = (JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(readme).toContain('npm ci && npm start');
  expect(readme).toContain('npm test');
  expect(readme).toContain('npm run demo');
  expect(readme).toContain('npm run test:unit');
  // Through the launcher that brings a new enough Node, as .ci/run does.
  expect(scripts.start).toBe('node src/cli/oms.mjs start');
  expect(scripts.demo).toBe('node src/cli/oms.mjs demo');
  expect(scripts.test).toBe('node src/cli/node-runtime.mjs npm run test:all');
  expect(scripts['test:all']).toContain('npm run test:suite');
  expect(scripts['test:suite']).toContain('vitest run');
  expect(scripts['test:unit']).toMatch(/^node src\/cli\/node-runtime\.mjs vitest run .*--project unit$/);
  expect(scripts['test:faults']).toMatch(/^node src\/cli\/node-runtime\.mjs vitest run .*--project faults --project stack-faults$/);
  expect(manual).toContain('npm run test:faults');
  const ci = await readFile(path.join(root, '.ci/run'), 'utf8');
  expect(ci).toMatch(/^npm ci /m);
  expect(ci).toMatch(/npm test$/m);
});

test('`npm ci` on an older machine Node installs every platform binding: none in the lockfile excludes it by its engines', async () => {
  // The README's `npm ci` runs on the machine's Node (Debian 12 ships 20), and npm silently skips an
  // optional package whose engines exclude that Node, which broke a native unpacker once.
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optional?: boolean; engines?: { node?: string } }> };
  const optional = Object.entries(lock.packages).filter(([, entry]) => entry.optional === true);
  expect(optional.length).toBeGreaterThan(0);
  const excluding = optional.filter(([, entry]) => entry.engines?.node !== undefined && !semver.satisfies('20.19.0', entry.engines.node)).map(([name, entry]) => `${name} (${entry.engines!.node})`);
  expect(excluding).toEqual([]);
});
