/**
 * Linux resources and mounts (binds and image volumes): CRI -> Docker, for create and update. Pure.
 */
import { apiAtLeast, READ_ONLY_BIND_OPTIONS_API } from '../docker/api-version.js';
import { invalidArgument } from '../errors.js';
import type { LinuxContainerResources__Output } from '../generated/runtime/v1/LinuxContainerResources.js';
import type { Mount__Output } from '../generated/runtime/v1/Mount.js';
import type { MountSpec, Resources } from '../docker/types.js';
import type { Mapped } from './contract.js';
import { imageMount, isImageVolume } from './linux-image-mounts.js';
import { refuseMountOptions } from './neutral.js';

const PROPAGATION = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
} as const;

/** What the bind mapping must know of the engine: HostFacts carries both. */
export interface BindEngine {
  /** The engine's API version ("1.41", "1.56"); undefined = not known, the oldest meaning assumed. */
  apiVersion?: string | undefined;
  /** Whether the engine can make a bind recursively read-only (src/docker/api-version.ts). */
  recursiveReadOnlyMounts?: boolean | undefined;
}

/**
 * CRI mounts as Docker mounts: binds of host paths, which must be absolute and free of `..`, and
 * image volumes (`Mount.image`, src/platform/linux-image-mounts.ts).
 *
 * CRI `readonly` is read-only at the mount's top only (what runc does without `rro`): a tmpfs
 * mounted below the host path stays writable. Engines before API 1.44 did exactly that; from 1.44 a
 * `ReadOnly` bind is recursively read-only unless `ReadOnlyNonRecursive` is set, so it is set there.
 * CRI `recursive_read_only` asks for the recursive kind: `ReadOnlyForceRecursive` (the engine fails
 * the create rather than fall back), with the read-only and private propagation the CRI requires.
 */
export function linuxMounts(mounts: readonly Mount__Output[], engine: BindEngine = {}): Mapped<MountSpec[]> {
  const notes: string[] = [];
  const bindOptionsApi = apiAtLeast(engine.apiVersion ?? '', READ_ONLY_BIND_OPTIONS_API);
  const value = mounts.map((m, i): MountSpec => {
    const field = `config.mounts[${i}]`;
    checkAbsolute(m.container_path, `${field}.container_path`);
    if (m.uidMappings.length > 0 || m.gidMappings.length > 0)
      throw invalidArgument(`${field}: ID-mapped mounts are not supported by the Docker engine`);
    refuseMountOptions(m, field);
    if (m.selinux_relabel)
      notes.push(`${field}.selinux_relabel ignored: SELinux is not managed through Docker here`);
    // recursive_read_only is moot on an image volume: it has no mounts below it to stay writable.
    if (isImageVolume(m)) return imageMount(m, field, engine);
    if (m.image_sub_path !== '')
      throw invalidArgument(
        `${field}.image_sub_path ${JSON.stringify(m.image_sub_path)} names a path inside ${field}.image, which is not set`,
      );
    checkAbsolute(m.host_path, `${field}.host_path`);
    if (m.recursive_read_only) checkRecursiveReadOnly(m, field, engine);
    const spec: MountSpec = {
      Type: 'bind',
      Source: m.host_path,
      Target: m.container_path,
      ReadOnly: m.readonly,
      BindOptions: { Propagation: PROPAGATION[m.propagation] },
    };
    if (m.recursive_read_only) spec.BindOptions = { Propagation: 'rprivate', ReadOnlyForceRecursive: true };
    else if (m.readonly && bindOptionsApi)
      spec.BindOptions = { ...spec.BindOptions, ReadOnlyNonRecursive: true };
    return spec;
  });
  return { value, notes };
}

/** The CRI's rules for recursive_read_only, then whether this engine can do it at all. */
function checkRecursiveReadOnly(m: Mount__Output, field: string, engine: BindEngine): void {
  if (!m.readonly) {
    throw invalidArgument(
      `${field}.recursive_read_only needs readonly: true (a writable mount cannot be read-only below)`,
    );
  }
  if (m.propagation !== 'PROPAGATION_PRIVATE') {
    throw invalidArgument(
      `${field}.recursive_read_only needs PROPAGATION_PRIVATE, not ${m.propagation}: a mount propagated in later would be writable`,
    );
  }
  if (engine.recursiveReadOnlyMounts === true) return;
  const why =
    engine.apiVersion === undefined
      ? 'the Docker engine has not said which API it speaks'
      : apiAtLeast(engine.apiVersion, READ_ONLY_BIND_OPTIONS_API)
        ? `the engine's host cannot (it needs Linux 5.12 or newer)`
        : `the Docker engine speaks API ${engine.apiVersion}, and recursively read-only binds need API ${READ_ONLY_BIND_OPTIONS_API} (Docker 25) or newer`;
  throw invalidArgument(
    `${field}.recursive_read_only: ${why}; Status reports recursive_read_only_mounts false for this engine`,
  );
}

export function checkAbsolute(path: string, field: string): void {
  if (path === '') throw invalidArgument(`${field} is required`);
  if (!path.startsWith('/'))
    throw invalidArgument(`${field} ${JSON.stringify(path)} must be an absolute path`);
  if (path.split('/').includes('..'))
    throw invalidArgument(`${field} ${JSON.stringify(path)} must not contain '..'`);
}

const int = (text: string | undefined, field: string): number => {
  const n = Number(text ?? '0');
  if (!Number.isSafeInteger(n)) throw invalidArgument(`${field} ${JSON.stringify(text)} is not an integer`);
  return n;
};

/** LinuxContainerResources -> Docker resources (create and update share it). */
export function linuxResources(
  r: LinuxContainerResources__Output | null | undefined,
  field = 'resources',
): Mapped<Resources & { OomScoreAdj?: number }> {
  const notes: string[] = [];
  const out: Resources & { OomScoreAdj?: number } = {};
  if (!r) return { value: out, notes };
  const shares = int(r.cpu_shares, `${field}.cpu_shares`);
  const quota = int(r.cpu_quota, `${field}.cpu_quota`);
  const period = int(r.cpu_period, `${field}.cpu_period`);
  const memory = int(r.memory_limit_in_bytes, `${field}.memory_limit_in_bytes`);
  const swap = int(r.memory_swap_limit_in_bytes, `${field}.memory_swap_limit_in_bytes`);
  const oom = int(r.oom_score_adj, `${field}.oom_score_adj`);
  if (shares < 0) throw invalidArgument(`${field}.cpu_shares ${shares} must not be negative`);
  if (memory < 0) throw invalidArgument(`${field}.memory_limit_in_bytes ${memory} must not be negative`);
  if (period < 0) throw invalidArgument(`${field}.cpu_period ${period} must not be negative`);
  if (oom > 1000 || oom < -1000)
    throw invalidArgument(`${field}.oom_score_adj ${oom} is outside -1000..1000`);
  if (shares > 0) out.CpuShares = shares;
  if (quota !== 0) out.CpuQuota = quota;
  if (period > 0) out.CpuPeriod = period;
  if (r.cpuset_cpus) out.CpusetCpus = r.cpuset_cpus;
  if (r.cpuset_mems) out.CpusetMems = r.cpuset_mems;
  if (memory > 0) {
    out.Memory = memory;
    // Kubernetes runs without swap unless it says otherwise: swap limit = memory limit means none.
    out.MemorySwap = swap > 0 ? swap : memory;
  }
  if (oom < 0) {
    notes.push(
      `${field}.oom_score_adj ${oom} clamped to 0: a negative score needs CAP_SYS_RESOURCE that this host refuses`,
    );
    out.OomScoreAdj = 0;
  } else if (oom > 0) out.OomScoreAdj = oom;
  if (r.hugepage_limits.length > 0)
    notes.push(`${field}.hugepage_limits ignored: Docker has no hugetlb limits`);
  if (Object.keys(r.unified).length > 0)
    notes.push(`${field}.unified ignored: Docker has no raw cgroup v2 settings`);
  return { value: out, notes };
}
