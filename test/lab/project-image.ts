/**
 * The project's own image (its Dockerfile, built FROM the lab's node:20-slim stand-in), built
 * once per machine and content and shared by every test file that needs it:
 *
 *   const d = await startDockerd();
 *   const image = await projectImage(d);   // redis-doctor:ctx-<hash>, loaded into d's engine
 *
 * The build takes minutes on a loaded machine, so it is not repeated per test file or per
 * engine: the image is saved as /var/cache/rdlab/redis-doctor-<hash>.tar, where <hash> covers
 * everything the Dockerfile copies (Dockerfile, package files, tsconfigs, scripts/, src/,
 * manifest.yml) and the Node version of the stand-in. A changed source file is a new hash and a
 * new build; tarballs of other hashes older than two hours are removed (a
 * load that loses that race builds instead). A per-hash lock directory
 * (holding the builder's pid) makes a second test file wait for the first build instead of
 * building twice; a lock whose pid is gone is taken over.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR, type DockerLab } from './docker.js';
import { runOk } from './exec.js';
import { withDirLock } from './dir-lock.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** What the Dockerfile copies into the image (keep in step with it). */
const CONTEXT = ['Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src', 'manifest.yml'];
const LOCK_WAIT_MS = 20 * 60_000;
/** Tarballs of other sources (another branch, an older commit) are removed after this; each is ~370 MB. */
const STALE_TAR_MS = 2 * 3600_000;

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((entry) => filesUnder(join(path, entry)));
}

/** sha256 over the build context's paths and contents and the stand-in's Node version, 16 hex digits. */
export function contextHash(): string {
  const hash = createHash('sha256').update(`node ${process.version}\n`);
  for (const file of CONTEXT.flatMap((p) => filesUnder(join(ROOT, p)))) {
    hash.update(`${file.slice(ROOT.length)}\n`).update(readFileSync(file)).update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}


function removeStaleTars(keep: string): void {
  for (const name of readdirSync(CACHE_DIR)) {
    if (!/^redis-doctor-[0-9a-f]{16}\.tar$/.test(name) || name === keep) continue;
    const path = join(CACHE_DIR, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_TAR_MS) rmSync(path, { force: true });
    } catch {
      // removed by another process
    }
  }
}

/** The project's image in `d`'s engine: loaded from the machine's cache, or built (and cached) once. */
export async function projectImage(d: DockerLab): Promise<string> {
  const hash = contextHash();
  const tag = `redis-doctor:ctx-${hash}`;
  if ((await d.dockerRun(['image', 'inspect', tag])).code === 0) return tag;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tarName = `redis-doctor-${hash}.tar`;
  const tar = join(CACHE_DIR, tarName);
  // Twice at most: a tarball removed by another process between the check and the load is built again.
  for (let attempt = 0; ; attempt++) {
    if (!existsSync(tar)) {
      await withDirLock(join(CACHE_DIR, `.redis-doctor-${hash}.lock`), LOCK_WAIT_MS, async () => {
        if (existsSync(tar)) return;
        await d.nodeImage();
        await d.docker(['build', '--network', 'host', '-t', tag, ROOT], { timeoutMs: 900_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
        const part = `${tar}.${process.pid}.part`;
        try {
          await d.docker(['save', '-o', part, tag], { timeoutMs: 300_000 });
          await runOk('mv', [part, tar]);
        } finally {
          rmSync(part, { force: true });
        }
        removeStaleTars(tarName);
      });
    }
    if ((await d.dockerRun(['image', 'inspect', tag])).code === 0) break;
    const loaded = await d.dockerRun(['load', '-i', tar], { timeoutMs: 300_000 });
    if (loaded.code === 0) break;
    if (attempt > 0 || existsSync(tar)) throw new Error(`docker load -i ${tar}: exit ${loaded.code}: ${loaded.stderr.trim().slice(-500)}`);
  }
  return tag;
}
