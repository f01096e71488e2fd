import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { failedPrecondition } from '../errors.js';

const run = promisify(execFile);

/**
 * Linux: a pod's network namespace held by a bind mount of the pause process's
 * `/proc/<pid>/ns/net` onto `<dir>/<sandbox id>`, as containerd and CRI-O hold theirs. The
 * namespace then outlives the pause process (a restart of it, a crash of it, a kill -9 of wincri),
 * so DEL always runs inside it: the bridge plugin finds the addresses whose masquerade rules it
 * removes by looking in the namespace, and would leave those rules behind without it.
 */
export class NetnsHolder {
  constructor(readonly dir: string) {}

  pathOf(sandboxId: string): string {
    return join(this.dir, sandboxId);
  }

  /** The empty file a namespace is bound onto, made before the sandbox's process exists. */
  async prepare(sandboxId: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.pathOf(sandboxId), '', { mode: 0o600 });
  }

  /** Binds the namespace of `pid` onto the file `prepare` made; returns the path. */
  async bind(sandboxId: string, pid: number): Promise<string> {
    const path = this.pathOf(sandboxId);
    if (!Number.isInteger(pid) || pid <= 0) {
      await rm(path, { force: true });
      throw failedPrecondition(
        `sandbox ${sandboxId} has no running process whose network namespace could be held`,
      );
    }
    try {
      await run('mount', ['--bind', `/proc/${pid}/ns/net`, path]);
    } catch (err) {
      await rm(path, { force: true });
      throw failedPrecondition(
        `cannot hold the network namespace of sandbox ${sandboxId} (mount --bind /proc/${pid}/ns/net ${path}): ${stderrOf(err)}`,
        err,
      );
    }
    return path;
  }

  /** Sandbox ids with a held (or half-made) namespace path. */
  async list(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch {
      return [];
    }
  }

  /** Unmounts and removes the path; a path already gone or never mounted is fine. */
  async release(sandboxId: string): Promise<void> {
    const path = this.pathOf(sandboxId);
    try {
      await stat(path);
    } catch {
      return; // released before
    }
    try {
      await run('umount', [path]);
    } catch (err) {
      // "not mounted" and "no such file" are what an earlier release leaves.
      if (!/not mounted|no such file|not found|no mount point/i.test(stderrOf(err)))
        throw failedPrecondition(`cannot release the network namespace ${path}: ${stderrOf(err)}`, err);
    }
    await rm(path, { force: true });
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}

/**
 * The path of a held namespace if it is one: a bind mount of nsfs, whose device differs from its
 * directory's. Empty when it is gone, or is only the empty file a kill left before its mount (a
 * plugin handed that would fail its DEL on every retry). bridge finds the addresses whose
 * masquerade rules it removes by looking inside the namespace: a DEL without it frees the IP but
 * leaves those rules, which is why pod namespaces are held by a bind mount that outlives the pod.
 */
export async function heldNamespace(path: string | undefined): Promise<string> {
  if (!path) return '';
  try {
    const [file, dir] = await Promise.all([stat(path), stat(dirname(path))]);
    return file.dev !== dir.dev ? path : '';
  } catch {
    return '';
  }
}
