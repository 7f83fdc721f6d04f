import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StackEndpoints } from '../endpoints.ts';
import { portAnswers, setGlobalCompatibility, waitUntilHealthy } from '../health.ts';
import { cachePaths, type CachePaths } from './paths.ts';
import { ensureDevKeyRing } from '../dev-keys.ts';
import { findJava, requireRedisServer, requireTemporal } from './prerequisites.ts';
import { filesFor, installToolchain, toolBinary, toolHome, ToolchainError } from './toolchain.ts';
import { isAlive, logTail, spawnDetached, stopOwned, type OwnedProcess } from './process.ts';
import { nativeEndpoints, nativePorts, nativeServices, SERVICE_NAMES, type NativeService, type ServiceContext, type ServiceName, type Tools } from './services.ts';
import { bootstrapSecureStack, type SecureStack } from '../secure/secure-stack.ts';
import { secureServices } from '../secure/secure-services.ts';

/** What `up` recorded about the processes it started: the only processes `down` will ever signal. */
interface StackState {
  services: Partial<Record<ServiceName, OwnedProcess>>;
}

function readState(paths: CachePaths): StackState {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as StackState;
  } catch {
    return { services: {} };
  }
}

function writeState(paths: CachePaths, state: StackState): void {
  mkdirSync(path.dirname(paths.stateFile), { recursive: true });
  writeFileSync(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export interface UpResult {
  endpoints: StackEndpoints;
  /** With `secure`: the secured endpoints, and each role's environment for them. */
  secure?: SecureStack;
  /** Services this call started; the test harness stops exactly these at teardown. */
  started: ServiceName[];
  /** Services a previous `up` started that were still running and healthy. */
  reused: ServiceName[];
}

export type Progress = (line: string) => void;

/** What the stack runs; the manifest holds test-only tools too (the time-skipping server), which `up` needn't fetch. */
const STACK_ARTIFACTS = ['java', 'valkey', 'temporal', 'kafka', 'apicurio-registry', 'zipkin'];
/** Jars run on whichever java: pinned in either mode. */
const JARS = ['kafka', 'apicurio-registry', 'zipkin'];

function toolsMode(): 'pinned' | 'system' {
  const mode = process.env.OMS_DEV_TOOLS ?? 'pinned';
  if (mode !== 'pinned' && mode !== 'system') throw new ToolchainError(`OMS_DEV_TOOLS: expected pinned or system, got "${mode}"`);
  return mode;
}

/** Just java (the time-skipping test server needs nothing else): pinned, or the machine's. */
export async function javaBinary(paths: CachePaths, progress: Progress): Promise<string> {
  if (toolsMode() === 'system') return findJava();
  const [java] = await installToolchain(paths, progress, ['java']);
  return toolBinary(paths, java!)!;
}

/**
 * The tools the services run, installed into the cache first when missing (OMS_DEV_TOOLS=pinned, the
 * default: every machine runs the same versions), or found on the machine (system) for java,
 * redis-server and temporal; the Kafka, Apicurio and Zipkin jars are pinned either way. Checked before anything
 * starts, so a missing tool never leaves a half-started stack.
 */
export async function resolveTools(paths: CachePaths, progress: Progress): Promise<Tools> {
  const mode = toolsMode();
  const artifacts = await installToolchain(paths, progress, mode === 'pinned' ? STACK_ARTIFACTS : JARS);
  const home = (name: string) => toolHome(paths, artifacts.find((artifact) => artifact.name === name)!);
  const binary = (name: string) => toolBinary(paths, artifacts.find((artifact) => artifact.name === name)!)!;
  const common = { kafkaLibs: path.join(home('kafka'), 'libs'), apicurioHome: home('apicurio-registry'), zipkinJar: path.join(home('zipkin'), 'libs', path.basename(filesFor(artifacts.find((artifact) => artifact.name === 'zipkin')!)[0]!.url)) };
  if (mode === 'pinned') return { ...common, java: binary('java'), redisServer: binary('valkey'), temporal: binary('temporal') };
  const found = await Promise.allSettled([findJava(), requireRedisServer(), requireTemporal()]);
  const missing = found.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
  if (missing.length > 0) throw new Error(missing.join('\n'));
  const [java, redisServer, temporal] = found.map((result) => (result as PromiseFulfilledResult<string>).value) as [string, string, string];
  return { ...common, java, redisServer, temporal };
}

async function startService(service: NativeService, paths: CachePaths, state: StackState, progress: Progress): Promise<void> {
  const logFile = paths.service(service.name).log;
  await writeFile(logFile, '');
  for (const port of service.ports) {
    if (await portAnswers(port)) {
      throw new Error(
        `${service.name}: 127.0.0.1:${port} is already in use by a process this stack did not start. Stop it, or move the dev stack with the OMS_DEV_*_PORT variables.`,
      );
    }
  }
  const spec = await service.prepare(logFile);
  const owned = spawnDetached({ ...spec, logFile });
  state.services[service.name] = owned;
  writeState(paths, state);
  progress(`${service.name}: started, pid ${owned.pid}, log ${logFile}`);
  try {
    await waitUntilHealthy(service.name, service.health, {
      timeoutMs: service.startupTimeoutMs,
      onPoll: () => {
        if (!isAlive(owned)) throw new Error(`${service.name} exited during start-up`);
      },
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last lines of ${logFile}:\n${await logTail(logFile)}`, { cause: error });
  }
}

/** Fetches every pinned tool, the tests' too, into the cache without starting anything (what `oms dev install` and CI use). */
export async function nativeInstall(options: { progress?: Progress; paths?: CachePaths } = {}): Promise<Tools> {
  const paths = options.paths ?? cachePaths();
  const progress = options.progress ?? (() => undefined);
  mkdirSync(paths.logs, { recursive: true });
  await installToolchain(paths, progress);
  return resolveTools(paths, progress);
}

/** The plain services, and the secured ones (in front of the plain ones) when asked for or already running: a restart or a status must see them. */
function servicesOf(ctx: ServiceContext, state: StackState, secure = false): NativeService[] {
  const withSecure = secure || state.services['kafka-secure'] !== undefined || state.services['secure-front'] !== undefined;
  return [...nativeServices(ctx), ...(withSecure ? secureServices(ctx, nativeEndpoints(ctx.ports, ctx.paths)) : [])];
}

/** Starts each service that isn't running (reusing those a previous `up` left healthy); all or nothing for what it starts. */
async function startOrReuse(services: NativeService[], paths: CachePaths, progress: Progress): Promise<Pick<UpResult, 'started' | 'reused'>> {
  const state = readState(paths);
  const started: ServiceName[] = [];
  const reused: ServiceName[] = [];
  const outcomes = await Promise.allSettled(
    services.map(async (service) => {
      const previous = state.services[service.name];
      if (previous && isAlive(previous)) {
        await waitUntilHealthy(service.name, service.health, { timeoutMs: service.startupTimeoutMs });
        progress(`${service.name}: already running, pid ${previous.pid}`);
        reused.push(service.name);
        return;
      }
      delete state.services[service.name];
      await startService(service, paths, state, progress);
      progress(`${service.name}: healthy`);
      started.push(service.name);
    }),
  );
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
  if (failures.length > 0) {
    // All or nothing for what this call started: don't leave a partial stack the caller can't see.
    await nativeDown({ paths, only: services.map((service) => service.name).filter((name) => !reused.includes(name)) });
    throw new Error(failures.map((failure) => failure.message).join('\n'));
  }
  return { started, reused };
}

export async function nativeUp(options: { progress?: Progress; paths?: CachePaths; secure?: boolean } = {}): Promise<UpResult> {
  const progress = options.progress ?? (() => undefined);
  const paths = options.paths ?? cachePaths();
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.run, { recursive: true });
  const ports = nativePorts();
  const endpoints = nativeEndpoints(ports, paths);
  ensureDevKeyRing(endpoints.temporalKeysFile);
  const tools = await resolveTools(paths, progress);
  const { started, reused } = await startOrReuse(servicesOf({ paths, ports, tools }, readState(paths), options.secure), paths, progress);
  await setGlobalCompatibility(endpoints.schemaRegistryUrl);
  const secure = options.secure ? await bootstrapSecureStack(paths, ports, progress) : undefined;
  return { endpoints, started, reused, ...(secure ? { secure } : {}) };
}

/**
 * Only the secured services, in front of the stack at `upstream` however it runs (native, Docker, or
 * named by the environment), with topics and ACLs for the configuration `configEnv` describes: what
 * the secured-stack tests use beside the suite's shared stack.
 */
export async function secureUp(options: { upstream: StackEndpoints; configEnv?: Record<string, string>; createTopics?: boolean; progress?: Progress; paths?: CachePaths }): Promise<UpResult & { secure: SecureStack }> {
  const progress = options.progress ?? (() => undefined);
  const paths = options.paths ?? cachePaths();
  mkdirSync(paths.logs, { recursive: true });
  const ports = nativePorts();
  const tools = await resolveTools(paths, progress);
  const { started, reused } = await startOrReuse(secureServices({ paths, ports, tools }, options.upstream), paths, progress);
  const secure = await bootstrapSecureStack(paths, ports, progress, { configEnv: options.configEnv, createTopics: options.createTopics });
  return { endpoints: options.upstream, started, reused, secure };
}

/**
 * Stops one service of ours (if it runs) and starts it again over its kept data: what a crash and a
 * supervisor's restart look like, and what the fault tests use.
 */
export async function nativeRestart(name: ServiceName, options: { progress?: Progress; paths?: CachePaths } = {}): Promise<void> {
  const progress = options.progress ?? (() => undefined);
  const paths = options.paths ?? cachePaths();
  const service = servicesOf({ paths, ports: nativePorts(), tools: await resolveTools(paths, progress) }, readState(paths)).find((candidate) => candidate.name === name);
  if (!service) throw new Error(`unknown service ${name}; expected one of ${SERVICE_NAMES.join(', ')}`);
  await nativeDown({ paths, only: [name], progress });
  const state = readState(paths);
  await startService(service, paths, state, progress);
  progress(`${name}: healthy`);
  if (name === 'schema-registry') await setGlobalCompatibility(nativeEndpoints(nativePorts()).schemaRegistryUrl);
}

/** Stops whatever of ours runs and deletes every service's kept data: the next `up` starts empty. */
export async function nativeReset(options: { progress?: Progress; paths?: CachePaths } = {}): Promise<ServiceName[]> {
  const paths = options.paths ?? cachePaths();
  const stopped = await nativeDown(options);
  await rm(paths.data, { recursive: true, force: true });
  options.progress?.(`deleted ${paths.data}`);
  return stopped;
}

export async function nativeDown(options: { paths?: CachePaths; only?: readonly ServiceName[]; progress?: Progress } = {}): Promise<ServiceName[]> {
  const paths = options.paths ?? cachePaths();
  const state = readState(paths);
  const stopped: ServiceName[] = [];
  await Promise.all(
    (Object.entries(state.services) as [ServiceName, OwnedProcess][])
      .filter(([name]) => !options.only || options.only.includes(name))
      .map(async ([name, owned]) => {
        if (isAlive(owned)) {
          options.progress?.(`${name}: stopping pid ${owned.pid}`);
          await stopOwned(owned);
          stopped.push(name);
        }
        delete state.services[name];
      }),
  );
  writeState(paths, state);
  return stopped;
}

export interface ServiceStatus {
  name: ServiceName;
  state: 'up' | 'starting or unhealthy' | 'down';
  pid?: number;
  logFile: string;
  /** Where it keeps its data across restarts, and how many bytes are there now; absent for a service that keeps none. */
  data?: { path: string; bytes: number };
}

async function diskUsage(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(target);
  const sizes = await Promise.all(entries.map((entry) => diskUsage(path.join(target, entry))));
  return sizes.reduce((sum, size) => sum + size, 0);
}

export async function nativeStatus(options: { paths?: CachePaths } = {}): Promise<{ services: ServiceStatus[]; endpoints: StackEndpoints }> {
  const paths = options.paths ?? cachePaths();
  const state = readState(paths);
  const ports = nativePorts();
  // Status starts nothing: the tools are not looked for.
  const tools: Tools = { java: 'java', redisServer: 'redis-server', temporal: 'temporal', kafkaLibs: '', apicurioHome: '', zipkinJar: '' };
  const services = await Promise.all(
    servicesOf({ paths, ports, tools }, state).map(async (service): Promise<ServiceStatus> => {
      const owned = state.services[service.name];
      const logFile = paths.service(service.name).log;
      const data = service.dataPath ? { path: service.dataPath, bytes: await diskUsage(service.dataPath) } : undefined;
      if (!owned || !isAlive(owned)) return { name: service.name, state: 'down', logFile, data };
      return { name: service.name, state: (await service.health()) ? 'up' : 'starting or unhealthy', pid: owned.pid, logFile, data };
    }),
  );
  return { services, endpoints: nativeEndpoints(ports, paths) };
}
