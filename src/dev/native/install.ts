import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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

export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** Maven's own repository under the cache's downloads, so a clean clone never depends on ~/.m2. */
export function mavenQuietArgs(downloads: string): string[] {
  return ['-q', '-B', `-Dmaven.repo.local=${path.join(downloads, 'maven')}`];
}

/** Puts the runtime jars a tools pom names into `outDir`: nothing is built, Maven only resolves and copies. */
export function mavenCopyDependencies(mvn: string, pom: string, outDir: string, downloads: string, logFile: string): Promise<void> {
  return runStep(mvn, [...mavenQuietArgs(downloads), '-f', pom, `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${outDir}`, '-DincludeScope=runtime'], logFile);
}

export function fingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

const MARKER = '.installed';

/**
 * Installs into `dir` once per fingerprint. The marker is written last, so an install that was
 * interrupted is redone from scratch by the next `up` instead of being trusted half-done.
 */
export async function installOnce(dir: string, print: string, install: (dir: string) => Promise<void>): Promise<boolean> {
  const marker = path.join(dir, MARKER);
  if ((await readFile(marker, 'utf8').catch(() => undefined)) === print) return false;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await install(dir);
  await writeFile(marker, print);
  return true;
}
