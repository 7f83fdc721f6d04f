import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const oms = path.resolve(import.meta.dirname, '../../src/cli/oms.ts');

/**
 * Drives the real `oms dev` command on a second stack: its own state folder and ports 10000 above
 * the defaults, sharing the downloaded runtimes, so it never touches the stack the suite runs on.
 */
async function devStack(stateDir: string) {
  const env = {
    ...process.env,
    OMS_DEV_STATE_DIR: stateDir,
    OMS_DEV_KAFKA_PORT: '19092',
    OMS_DEV_KAFKA_CONTROLLER_PORT: '19093',
    OMS_DEV_SCHEMA_REGISTRY_PORT: '18081',
    OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT: '18091',
    OMS_DEV_TEMPORAL_PORT: '17233',
    OMS_DEV_TEMPORAL_UI_PORT: '18233',
    OMS_DEV_REDIS_PORT: '16379',
  };
  return async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [oms, 'dev', ...args], { env, timeout: 240_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
}

function pidsOf(stateDir: string): Promise<number[]> {
  return readFile(path.join(stateDir, 'run', 'stack.json'), 'utf8').then((text) =>
    Object.values((JSON.parse(text) as { services: Record<string, { pid: number }> }).services).map((s) => s.pid),
  );
}

const processExists = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('oms dev up is idempotent, status reports it, and down leaves no process of ours behind', { timeout: 300_000 }, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-dev-'));
  const dev = await devStack(stateDir);

  const first = await dev('up');
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout.trim().split('\n')).toEqual([
    'KAFKA_BROKERS=127.0.0.1:19092',
    'SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
    'TEMPORAL_ADDRESS=127.0.0.1:17233',
    'REDIS_URL=redis://127.0.0.1:16379',
  ]);
  const pids = await pidsOf(stateDir);
  expect(pids).toHaveLength(4);

  try {
    const second = await dev('up');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr.match(/already running/g)).toHaveLength(4);
    expect(await pidsOf(stateDir)).toEqual(pids);

    const status = await dev('status');
    expect(status.code).toBe(0);
    expect(status.stdout.match(/ up /g)).toHaveLength(4);
  } finally {
    const down = await dev('down');
    expect(down.code, down.stderr).toBe(0);
  }

  expect(pids.filter(processExists)).toEqual([]);
  expect(await pidsOf(stateDir)).toEqual([]);
  const after = await dev('status');
  expect(after.code).toBe(3);
  expect(after.stdout.match(/ down /g)).toHaveLength(4);
});
