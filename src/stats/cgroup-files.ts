/**
 * A Linux container's stats read straight from its cgroup files, in the shape of Docker's stats JSON
 * so the one mapper (src/stats/linux.ts) serves both ways. These are the files Docker itself ends up
 * reading (dockerd asks containerd, which asks the container's shim, which reads them); reading them
 * here costs the engine nothing. docs/stats-sources.md has the measurement behind this.
 *
 * What Docker would put in each field, v1 (hybrid hosts too) and v2:
 * - cpu: cpuacct.usage, cpuacct.stat (USER_HZ ticks) | cpu.stat usage_usec/user_usec/system_usec
 * - memory: memory.usage_in_bytes, memory.stat | memory.current, memory.stat (raw keys both ways;
 *   the mapper picks total_inactive_file or inactive_file). `limit` is left out: the collector uses
 *   the limit the container was created with, never Docker's host-memory stand-in.
 * - pids: pids.current
 * - blkio: blkio.throttle.io_service_bytes_recursive / io_serviced_recursive | io.stat
 * - networks: /proc/<pid>/net/dev, the counters of the container's own network namespace, only for
 *   a container that has one (Docker reports none for `container:` and `host` network modes).
 * - also what Docker fills from other files: CPU throttling (cpu.stat), memory failcnt and
 *   max_usage (v1), the pids limit; and, in `wincri_cgroup`, cAdvisor's values Docker does not
 *   carry (kernel memory, OOM kills, CPU period and shares, swap limit, open files and sockets of
 *   the cgroup's processes). These extras are read "if present": a kernel without a file (no swap
 *   accounting, no kmem) leaves the value out instead of sending the caller to the engine.
 *
 * The cgroup is found from the container's init pid (/proc/<pid>/cgroup), which works for cgroupfs
 * and systemd drivers and any cgroup parent; it is used only if its path names the container's id,
 * so a pid of another host (a remote engine) or a pid reused after the container died is refused
 * (NotThisContainer) and the caller asks the engine.
 *
 * Reads are synchronous on purpose: these are kernel pseudo-files (no disk behind them), a container's
 * eight take ~0.25 ms, and through libuv's pool the same reads cost 5-8x the CPU and 4-6x the time
 * (docs/stats-sources.md). The caller yields to the event loop between containers.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type {
  CgroupExtras,
  DockerBlkioEntry,
  DockerNetworkStats,
  DockerStatsJson,
} from '../docker/stats-types.js';

export interface CgroupTarget {
  id: string;
  /** The container's init process on this host, as inspect reports it. */
  pid: number;
  /** False when the container shares another's network namespace or the host's. */
  ownNetwork: boolean;
}

export interface CgroupRoots {
  proc: string;
  cgroup: string;
}

export const HOST_ROOTS: CgroupRoots = { proc: '/proc', cgroup: '/sys/fs/cgroup' };

/** The pid's cgroup does not name the container: not this host's container, or the pid was reused. */
export class NotThisContainer extends Error {
  override readonly name = 'NotThisContainer';
}

/** The kernel's user-space tick for cpuacct.stat: fixed at 100 by the Linux ABI (USER_HZ). */
const USER_HZ = 100;

/** Reads one whole file as text (synchronous; see above). */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

export function readCgroupStats(
  target: CgroupTarget,
  roots: CgroupRoots = HOST_ROOTS,
  read: ReadText = readText,
): DockerStatsJson {
  const dirs = cgroupDirs(read(`${roots.proc}/${target.pid}/cgroup`), roots.cgroup);
  const owner = dirs.get('memory') ?? dirs.get('');
  if (owner === undefined || !owner.includes(target.id))
    throw new NotThisContainer(`pid ${target.pid} is not in a cgroup of container ${target.id}`);
  const readAt = new Date().toISOString();
  const v1 = dirs.has('memory');
  const json = v1 ? readV1(dirs, read) : readV2(owner, read);
  const procs = optional(read, `${v1 ? dirs.get('memory') : owner}/cgroup.procs`);
  json.wincri_cgroup = {
    ...(v1 ? extrasV1(dirs, read) : extrasV2(owner, read)),
    ...openFiles(roots.proc, procs),
  };
  if (!target.ownNetwork) return { read: readAt, ...json };
  return { read: readAt, ...json, networks: netDev(read(`${roots.proc}/${target.pid}/net/dev`)) };
}

function readV1(dirs: Map<string, string>, read: ReadText): DockerStatsJson {
  const at = (controller: string, file: string) => read(`${dirs.get(controller)}/${file}`);
  const usage = at('cpuacct', 'cpuacct.usage');
  const cpuStat = keyed(at('cpuacct', 'cpuacct.stat'));
  const memUsage = at('memory', 'memory.usage_in_bytes');
  const memStat = keyed(at('memory', 'memory.stat'));
  const pids = at('pids', 'pids.current');
  const bytes = at('blkio', 'blkio.throttle.io_service_bytes_recursive');
  const ios = at('blkio', 'blkio.throttle.io_serviced_recursive');
  const ticksToNs = (ticks: number | undefined) =>
    ticks === undefined ? undefined : (ticks * 1_000_000_000) / USER_HZ;
  const throttling = keyed(optional(read, `${dirs.get('cpu')}/cpu.stat`) ?? '');
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: Number(usage.trim()),
        usage_in_usermode: ticksToNs(cpuStat['user']),
        usage_in_kernelmode: ticksToNs(cpuStat['system']),
      },
      throttling_data: {
        periods: throttling['nr_periods'],
        throttled_periods: throttling['nr_throttled'],
        throttled_time: throttling['throttled_time'],
      },
    },
    memory_stats: {
      usage: Number(memUsage.trim()),
      stats: memStat,
      failcnt: number(optional(read, `${dirs.get('memory')}/memory.failcnt`)),
      max_usage: number(optional(read, `${dirs.get('memory')}/memory.max_usage_in_bytes`)),
    },
    pids_stats: {
      current: Number(pids.trim()),
      limit: number(optional(read, `${dirs.get('pids')}/pids.max`)),
    },
    blkio_stats: { io_service_bytes_recursive: blkioV1(bytes), io_serviced_recursive: blkioV1(ios) },
  };
}

function extrasV1(dirs: Map<string, string>, read: ReadText): CgroupExtras {
  const at = (controller: string, file: string) => optional(read, `${dirs.get(controller)}/${file}`);
  return {
    kernel_usage: number(at('memory', 'memory.kmem.usage_in_bytes')),
    oom_kills: keyed(at('memory', 'memory.oom_control') ?? '')['oom_kill'],
    cpu_period_us: number(at('cpu', 'cpu.cfs_period_us')),
    cpu_shares: number(at('cpu', 'cpu.shares')),
    swap_limit_bytes: digits(at('memory', 'memory.memsw.limit_in_bytes')),
  };
}

function extrasV2(dir: string, read: ReadText): CgroupExtras {
  const at = (file: string) => optional(read, `${dir}/${file}`);
  const weight = number(at('cpu.weight'));
  return {
    kernel_usage: keyed(at('memory.stat') ?? '')['kernel'],
    oom_kills: keyed(at('memory.events') ?? '')['oom_kill'],
    cpu_period_us: number(at('cpu.max')?.trim().split(' ')[1]),
    // The inverse of runc's shares -> weight mapping, as cAdvisor reports v2 shares.
    cpu_shares: weight === undefined ? undefined : 2 + Math.floor(((weight - 1) * 262142) / 9999),
    swap_limit_bytes: digits(at('memory.swap.max')),
  };
}

/** Open descriptors and sockets of the cgroup's processes (cAdvisor's container_file_descriptors/_sockets). */
function openFiles(proc: string, procs: string | undefined): CgroupExtras {
  if (procs === undefined) return {};
  let fds = 0;
  let sockets = 0;
  for (const pid of procs.split('\n').filter((p) => /^\d+$/.test(p))) {
    let entries: string[];
    try {
      entries = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    fds += entries.length;
    for (const fd of entries) {
      try {
        if (readlinkSync(`${proc}/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {
        // closed meanwhile
      }
    }
  }
  return { file_descriptors: fds, sockets };
}

/** A file's text, or undefined when the kernel does not offer it. */
function optional(read: ReadText, path: string): string | undefined {
  try {
    return read(path);
  } catch {
    return undefined;
  }
}

/** A whole file holding one number, as its digits; undefined for "max", empty or absent. */
function digits(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t !== undefined && /^\d+$/.test(t) ? t : undefined;
}

/** `digits` as a number, for values well below 2^53. */
function number(text: string | undefined): number | undefined {
  const t = digits(text);
  return t === undefined ? undefined : Number(t);
}

function readV2(dir: string, read: ReadText): DockerStatsJson {
  const cpuStat = keyed(read(`${dir}/cpu.stat`));
  const memCurrent = read(`${dir}/memory.current`);
  const memStat = keyed(read(`${dir}/memory.stat`));
  const pids = read(`${dir}/pids.current`);
  const io = read(`${dir}/io.stat`);
  const usecToNs = (usec: number | undefined) => (usec === undefined ? undefined : usec * 1000);
  const devices = ioStatV2(io);
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: usecToNs(cpuStat['usage_usec']),
        usage_in_usermode: usecToNs(cpuStat['user_usec']),
        usage_in_kernelmode: usecToNs(cpuStat['system_usec']),
      },
      throttling_data: {
        periods: cpuStat['nr_periods'],
        throttled_periods: cpuStat['nr_throttled'],
        throttled_time: usecToNs(cpuStat['throttled_usec']),
      },
    },
    memory_stats: {
      usage: Number(memCurrent.trim()),
      stats: memStat,
      max_usage: number(optional(read, `${dir}/memory.peak`)),
    },
    pids_stats: { current: Number(pids.trim()), limit: number(optional(read, `${dir}/pids.max`)) },
    blkio_stats: {
      io_service_bytes_recursive: devices.flatMap((d) => [d.rbytes, d.wbytes]),
      io_serviced_recursive: devices.flatMap((d) => [d.rios, d.wios]),
    },
  };
}

/** /proc/<pid>/cgroup → directory per v1 controller; "" is v2's unified hierarchy. */
export function cgroupDirs(text: string, root: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const [, controllers = '', path = ''] = line.split(':');
    // Named hierarchies (name=systemd) hold no stats.
    if (controllers.startsWith('name=')) continue;
    // Co-mounted controllers live under their joined name (cpu,cpuacct); the single names are
    // only symlinks some distributions add.
    const dir = controllers === '' ? `${root}${path}` : `${root}/${controllers}${path}`;
    for (const c of controllers.split(',')) dirs.set(c, dir);
  }
  // A hybrid host lists an empty unified hierarchy beside the v1 controllers: v1 is what counts.
  if (dirs.has('memory')) dirs.delete('');
  return dirs;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat). */
function keyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** "8:0 Read 4096" lines; the closing grand "Total" line has no device and is left out, as Docker does. */
function blkioV1(text: string): DockerBlkioEntry[] {
  const entries: DockerBlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, op, value] = line.split(' ');
    const [major, minor] = (device ?? '').split(':');
    if (op === undefined || value === undefined || minor === undefined) continue;
    entries.push({ major: Number(major), minor: Number(minor), op, value: Number(value) });
  }
  return entries;
}

/** "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." lines → Docker's read/write entries per device. */
function ioStatV2(text: string): Record<'rbytes' | 'wbytes' | 'rios' | 'wios', DockerBlkioEntry>[] {
  return text
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => {
      const [device = '', ...pairs] = line.trim().split(' ');
      const [major, minor] = device.split(':').map(Number);
      const value = (key: string) =>
        Number(pairs.find((p) => p.startsWith(`${key}=`))?.slice(key.length + 1) ?? 0);
      const entry = (op: string, key: string) => ({ major, minor, op, value: value(key) });
      return {
        rbytes: entry('read', 'rbytes'),
        wbytes: entry('write', 'wbytes'),
        rios: entry('read', 'rios'),
        wios: entry('write', 'wios'),
      };
    });
}

/** /proc/<pid>/net/dev of the container's namespace, loopback left out as Docker does. */
function netDev(text: string): Record<string, DockerNetworkStats> {
  const out: Record<string, DockerNetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    if (colon < 0 || name === 'lo') continue;
    const v = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    out[name] = {
      rx_bytes: v[0],
      rx_packets: v[1],
      rx_errors: v[2],
      rx_dropped: v[3],
      tx_bytes: v[8],
      tx_packets: v[9],
      tx_errors: v[10],
      tx_dropped: v[11],
    };
  }
  return out;
}
