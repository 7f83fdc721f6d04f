import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the native stack's pom and log config live in the source tree beside this file. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * One cache folder (git-ignored) holds everything the native stack downloads, runs and writes:
 *   downloads/ and tools/, the pinned tools unpacked (toolchain.ts), which a second `up` reuses;
 *   run/   pid state and generated configs, rewritten at every start;
 *   data/  what each service keeps across restarts (topics and offsets, workflows, schemas), until `oms dev reset`;
 *   logs/  one log file per service.
 * OMS_DEV_STATE_DIR moves run/, data/ and logs/ elsewhere, so a second stack (on other ports) can share the runtimes.
 */
export function cachePaths(
  cacheDir = process.env.OMS_CACHE_DIR ?? path.join(repoRoot, '.cache'),
  stateDir = process.env.OMS_DEV_STATE_DIR ?? cacheDir,
) {
  return {
    root: cacheDir,
    downloads: path.join(cacheDir, 'downloads'),
    run: path.join(stateDir, 'run'),
    logs: path.join(stateDir, 'logs'),
    data: path.join(stateDir, 'data'),
    stateFile: path.join(stateDir, 'run', 'stack.json'),
    service: (name: string) => ({
      run: path.join(stateDir, 'run', name),
      data: path.join(stateDir, 'data', name),
      log: path.join(stateDir, 'logs', `${name}.log`),
    }),
  };
}

export type CachePaths = ReturnType<typeof cachePaths>;
