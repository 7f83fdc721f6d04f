import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import xzDecompress from 'xz-decompress'; // a webpack bundle: Node sees no named exports
import * as tar from 'tar';
import yauzl from 'yauzl';
import type { CachePaths } from './paths.ts';
import { repoRoot } from './paths.ts';

/**
 * The local stack's pinned tools: every artifact, from which registry, at which version, with the
 * sha256 of each file per platform (src/dev/native/toolchain.json). `oms dev install` fetches what is
 * missing into the cache, checks each file, unpacks it, and records what it installed; a filled cache
 * works offline. OMS_DEV_TOOLS=system uses the machine's java, redis-server and temporal instead.
 */
export interface ToolFile {
  url: string;
  sha256: string;
  size: number;
}
export interface Artifact {
  name: string;
  registry: string;
  package: string;
  version: string;
  unpack: 'zip' | 'tar.gz' | 'deb' | 'copy';
  /** deb: the files of the package's data to keep (a whole package can be much larger than the tool). */
  keep?: string[];
  /** Per platform (linux-x64, linux-arm64), or `any`. */
  files: Record<string, ToolFile[]>;
  /** The executable inside the unpacked files, per platform. */
  bin?: Record<string, string>;
}

export const TOOLCHAIN_FILE = path.join(repoRoot, 'src/dev/native/toolchain.json');

export async function loadToolchain(file = TOOLCHAIN_FILE): Promise<Artifact[]> {
  return (JSON.parse(await readFile(file, 'utf8')) as { artifacts: Artifact[] }).artifacts;
}

/** A fetch, a checksum or an unpack that failed: one line naming the artifact and what to do. */
export class ToolchainError extends Error {
  override name = 'ToolchainError';
}

export function platformKey(platform = process.platform, arch = process.arch): string {
  const key = `${platform}-${arch}`;
  if (key === 'linux-x64' || key === 'linux-arm64') return key;
  throw new ToolchainError(`the pinned local stack has no tools for ${key} (linux-x64 and linux-arm64 only); set OMS_DEV_TOOLS=system to use the machine's java, redis-server and temporal`);
}

export const filesFor = (artifact: Artifact, platform = platformKey()) => {
  const files = artifact.files[platform] ?? artifact.files.any;
  if (!files) throw new ToolchainError(`${artifact.name}: ${artifact.package} ${artifact.version} has no files for ${platform} in ${path.basename(TOOLCHAIN_FILE)}`);
  return files;
};

export const toolHome = (paths: CachePaths, artifact: Artifact) => path.join(paths.root, 'tools', `${artifact.name}-${artifact.version}`);

/** Where an artifact's executable is once installed (undefined for a library). */
export function toolBinary(paths: CachePaths, artifact: Artifact, platform = platformKey()): string | undefined {
  const bin = artifact.bin?.[platform];
  return bin === undefined ? undefined : path.join(toolHome(paths, artifact), bin);
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const fingerprintOf = (artifact: Artifact, platform: string) => JSON.stringify({ version: artifact.version, files: filesFor(artifact, platform).map((file) => file.sha256) });

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * One file into the download cache: a cached copy is used when its checksum holds (and refetched when
 * not: a flipped byte is reported, not trusted), a fresh one goes to a `.partial` file renamed only once
 * its checksum matched.
 */
async function download(artifact: Artifact, file: ToolFile, downloads: string, progress: (line: string) => void): Promise<string> {
  const target = path.join(downloads, `${file.sha256.slice(0, 12)}-${path.basename(new URL(file.url).pathname)}`);
  if (existsSync(target)) {
    if ((await sha256Of(target)) === file.sha256) return target;
    progress(`${artifact.name}: the cached ${path.basename(target)} does not match its sha256 (corrupted): fetching it again`);
    await rm(target, { force: true });
  }
  const partial = `${target}.partial`;
  const response = await fetch(file.url).catch((error: unknown) => {
    throw new ToolchainError(`${artifact.name}: cannot reach ${new URL(file.url).host} for ${artifact.package} ${artifact.version} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); check the network or a proxy, or fill .cache from a machine that can`);
  });
  if (!response.ok || !response.body) throw new ToolchainError(`${artifact.name}: ${artifact.registry} answered ${response.status} for ${file.url}; the pinned version may be gone: update src/dev/native/toolchain.json`);
  await mkdir(downloads, { recursive: true });
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(response.body, hashing, createWriteStream(partial));
  const actual = hash.digest('hex');
  if (actual !== file.sha256) {
    await rm(partial, { force: true });
    throw new ToolchainError(`${artifact.name}: ${file.url} has sha256 ${actual}, not the pinned ${file.sha256}; nothing was installed (a registry or proxy served other bytes: fetch again, or check the pin)`);
  }
  await rename(partial, target);
  return target;
}

function unzip(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(archive, { lazyEntries: true }, (openError, zip) => {
      if (openError) return reject(openError);
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const to = path.join(into, entry.fileName);
        if (!to.startsWith(into + path.sep)) return reject(new Error(`${archive}: entry ${entry.fileName} leaves the folder`));
        if (entry.fileName.endsWith('/')) return void mkdir(to, { recursive: true }).then(() => zip.readEntry(), reject);
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          // Unix permissions are the high 16 bits of the external attributes: the executables keep their x bit.
          const mode = (entry.externalFileAttributes >>> 16) & 0o777;
          mkdir(path.dirname(to), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(to)))
            .then(() => (mode ? chmod(to, mode) : undefined))
            .then(() => zip.readEntry(), reject);
        });
      });
      zip.readEntry();
    });
  });
}

/**
 * A Debian package is an ar archive: the magic line, then per member a 60-byte header (name in bytes
 * 0-16, decimal size in 48-58) and its bytes, padded to an even length. Its files are in data.tar.xz.
 */
function debData(archive: Buffer): Buffer {
  if (archive.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new Error('not a Debian package (no ar magic)');
  for (let at = 8; at + 60 <= archive.length; ) {
    const name = archive.subarray(at, at + 16).toString('latin1').trim().replace(/\/$/, '');
    const size = Number(archive.subarray(at + 48, at + 58).toString('latin1').trim());
    if (name === 'data.tar.xz') return archive.subarray(at + 60, at + 60 + size);
    at += 60 + size + (size % 2);
  }
  throw new Error('the package has no data.tar.xz');
}

async function unpackDeb(file: string, into: string, keep: string[] | undefined): Promise<void> {
  // WebAssembly, not a native addon: npm skips a platform binding whose engines exclude the Node running `npm ci`.
  const data = new xzDecompress.XzReadableStream(new Blob([debData(await readFile(file))]).stream());
  const kept = (entry: string) => keep === undefined || keep.includes(entry.replace(/^\.\//, ''));
  await pipeline(Readable.fromWeb(data), tar.x({ cwd: into, filter: kept }));
}

/** Archives are unpacked into the folder; plain files (jars) are copied into its libs/ under their own names. */
async function unpack(artifact: Artifact, archives: { file: string; name: string }[], into: string): Promise<void> {
  for (const { file, name } of archives) {
    if (artifact.unpack === 'zip') await unzip(file, into);
    else if (artifact.unpack === 'tar.gz') await tar.x({ file, cwd: into });
    else if (artifact.unpack === 'deb') await unpackDeb(file, into, artifact.keep);
    else {
      await mkdir(path.join(into, 'libs'), { recursive: true });
      await pipeline(createReadStream(file), createWriteStream(path.join(into, 'libs', name)));
    }
  }
}

/**
 * Installs one artifact unless the cache holds it already; returns whether it did. It unpacks into a
 * `.partial` folder and renames it once complete, with a record of what it is: an interrupted install
 * is never taken for a finished one.
 */
export async function installArtifact(artifact: Artifact, paths: CachePaths, progress: (line: string) => void, platform = platformKey()): Promise<boolean> {
  const home = toolHome(paths, artifact);
  const record = path.join(home, '.installed.json');
  const fingerprint = fingerprintOf(artifact, platform);
  const installed = await readFile(record, 'utf8').catch(() => undefined);
  if (installed !== undefined && (JSON.parse(installed) as { fingerprint?: string }).fingerprint === fingerprint) return false;
  const files = filesFor(artifact, platform);
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const started = performance.now();
  progress(`${artifact.name}: ${artifact.package} ${artifact.version} from ${artifact.registry} (${files.length > 1 ? `${files.length} files, ` : ''}${megabytes(bytes)})`);
  const archives: { file: string; name: string }[] = [];
  for (const file of files) archives.push({ file: await download(artifact, file, paths.downloads, progress), name: path.basename(new URL(file.url).pathname) });
  const partial = `${home}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await unpack(artifact, archives, partial);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw new ToolchainError(`${artifact.name}: unpacking ${artifact.package} ${artifact.version} failed (${(error as Error).message}); run oms dev install again`);
  }
  await writeFile(path.join(partial, '.installed.json'), JSON.stringify({ fingerprint, package: artifact.package, version: artifact.version, registry: artifact.registry, platform, files: files.map((file) => file.url), at: new Date().toISOString() }, null, 2));
  await rm(home, { recursive: true, force: true });
  await rename(partial, home);
  progress(`${artifact.name}: installed in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  return true;
}

/** Every pinned artifact, in the manifest's order. */
export async function installToolchain(paths: CachePaths, progress: (line: string) => void, only?: readonly string[]): Promise<Artifact[]> {
  const artifacts = (await loadToolchain()).filter((artifact) => !only || only.includes(artifact.name));
  const platform = platformKey();
  for (const artifact of artifacts) await installArtifact(artifact, paths, progress, platform);
  return artifacts;
}
