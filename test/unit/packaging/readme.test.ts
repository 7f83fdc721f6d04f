import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ENV_SCHEMA } from '../../../src/config/config.ts';
import { runOms } from '../../support/cli.ts';

const root = path.resolve(import.meta.dirname, '../../..');

test('the README documents every configuration variable and every oms command, and its quickstart commands exist', async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  for (const variable of Object.keys(ENV_SCHEMA.shape)) expect(readme, variable).toContain(`\`${variable}\``);

  const help = await runOms(['--help'], {});
  const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  expect(commands.length).toBeGreaterThanOrEqual(10);
  for (const command of commands) expect(readme, command).toMatch(new RegExp(`oms ${command}\\b`));
  const devHelp = await runOms(['dev', '--help'], {});
  const devCommands = [...devHelp.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  expect(devCommands).toEqual(expect.arrayContaining(['up', 'down', 'restart', 'reset', 'status']));
  for (const command of devCommands) expect(readme, `dev ${command}`).toMatch(new RegExp(`oms dev ${command}\\b`));

  const scripts = (JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(readme).toContain('npm ci && npm start');
  expect(readme).toContain('npm test');
  expect(readme).toContain('npm run demo');
  // Through the launcher that brings a new enough Node, as .ci/run does.
  expect(scripts.start).toBe('node src/cli/oms.mjs start');
  expect(scripts.demo).toBe('node src/cli/oms.mjs demo');
  expect(scripts.test).toBe('node src/cli/node-runtime.mjs npm run test:all');
  expect(scripts['test:all']).toContain('npm run test:suite');
  expect(scripts['test:suite']).toContain('vitest run');
  expect(scripts['test:faults']).toMatch(/^node src\/cli\/node-runtime\.mjs vitest run .*--project faults --project stack-faults$/);
  expect(readme).toContain('npm run test:faults');
  const ci = await readFile(path.join(root, '.ci/run'), 'utf8');
  expect(ci).toMatch(/^npm ci /m);
  expect(ci).toMatch(/npm test$/m);
});
