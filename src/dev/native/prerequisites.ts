import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A missing tool stops `oms dev up` with a message that names it and says how to get it. */
export class MissingPrerequisiteError extends Error {
  readonly prerequisite: string;

  constructor(prerequisite: string, howToGet: string) {
    super(`Missing prerequisite: ${prerequisite}. ${howToGet}`);
    this.name = 'MissingPrerequisiteError';
    this.prerequisite = prerequisite;
  }
}

async function commandOutput(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 30_000 });
    return `${stdout}${stderr}`;
  } catch {
    return undefined;
  }
}

async function javaMajorVersion(javaBinary: string): Promise<number | undefined> {
  const output = await commandOutput(javaBinary, ['-version']);
  const match = output?.match(/version "(\d+)(?:\.(\d+))?/);
  if (!match?.[1]) return undefined;
  const major = Number(match[1]);
  // Java 8 and older report "1.x".
  return major === 1 ? Number(match[2]) : major;
}

/**
 * Apicurio Registry 3.x is built for Java 21, Kafka 4.x needs 17+: one JDK 21+ runs both.
 * Machines often carry several JDKs, so look past the default `java` before giving up.
 */
export const MIN_JAVA = 21;

export async function findJava(): Promise<string> {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  const jvmRoot = '/usr/lib/jvm';
  const installed = await readdir(jvmRoot).catch(() => [] as string[]);
  candidates.push(...installed.sort().reverse().map((dir) => path.join(jvmRoot, dir, 'bin', 'java')));
  for (const candidate of candidates) {
    const major = await javaMajorVersion(candidate);
    if (major !== undefined && major >= MIN_JAVA) return candidate;
  }
  throw new MissingPrerequisiteError(
    `java ${MIN_JAVA} or newer`,
    `OMS_DEV_TOOLS=system uses the machine's, and Apicurio Registry 3.x needs ${MIN_JAVA}+: install one (e.g. Eclipse Temurin ${MIN_JAVA}+) on PATH or in JAVA_HOME, or unset OMS_DEV_TOOLS to use the pinned one.`,
  );
}

/** OMS_DEV_TOOLS=system only: the machine's tools, found on PATH. */
export async function requireRedisServer(): Promise<string> {
  if ((await commandOutput('redis-server', ['--version'])) !== undefined) return 'redis-server';
  throw new MissingPrerequisiteError('redis-server', 'OMS_DEV_TOOLS=system uses the machine\'s; install it (`apt-get install redis-server`), or unset OMS_DEV_TOOLS to use the pinned Valkey.');
}

export async function requireTemporal(): Promise<string> {
  if ((await commandOutput('temporal', ['--version'])) !== undefined) return 'temporal';
  throw new MissingPrerequisiteError('temporal (the Temporal CLI)', 'OMS_DEV_TOOLS=system uses the machine\'s; install it (https://docs.temporal.io/cli), or unset OMS_DEV_TOOLS to use the pinned one.');
}
