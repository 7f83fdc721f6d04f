import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ENV_SCHEMA } from '../../src/config/config.ts';
import { runOms } from '../support/cli.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('the README documents every configuration variable and every oms command, and its quickstart commands exist', async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  for (const variable of Object.keys(ENV_SCHEMA.shape)) expect(readme, variable).toContain(`\`${variable}\``);

  const help = await runOms(['--help'], {});
  const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  expect(commands.length).toBeGreaterThanOrEqual(10);
  for (const command of commands) expect(readme, command).toMatch(new RegExp(`oms ${command}\\b`));

  const scripts = (JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(readme).toContain('npm ci && npm start');
  expect(readme).toContain('npm test');
  expect(readme).toContain('npm run demo');
  expect(scripts.start).toBe('node src/cli/oms.ts start');
  expect(scripts.demo).toBe('node src/cli/oms.ts demo');
  expect(scripts.test).toContain('npm run test:suite');
  expect(scripts['test:suite']).toContain('vitest run');
});
