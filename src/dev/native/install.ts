import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { logTail } from './process.ts';

const run = promisify(execFile);

/** Runs one set-up step to completion, its output appended to the service log; fails with the log's tail. */
export async function runStep(command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await appendFile(logFile, `$ ${command} ${args.join(' ')}\n`);
  try {
    const { stdout, stderr } = await run(command, args, { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
    await appendFile(logFile, stdout + stderr);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    await appendFile(logFile, `${failed.stdout ?? ''}${failed.stderr ?? ''}\n`);
    throw new Error(`${path.basename(command)} failed (${failed.message.split('\n')[0]}); last lines of ${logFile}:\n${await logTail(logFile)}`, {
      cause: error,
    });
  }
}
