/**
 * The last look at a create body before it goes to a Windows engine: nothing Linux-only, the
 * isolation stated, and no option Docker refuses next to `container:<id>` networking.
 *
 * "Linux-only" is what moby refuses or ignores on Windows: daemon/daemon_windows.go
 * (`verifyContainerResources`: "invalid option: Windows does not support X"), privileged and
 * read-only rootfs ("not supported for Windows containers"), SecurityOpt keys other than
 * credentialspec ("security option not supported"), plus the Linux namespaces, cgroups,
 * capabilities, sysctls, seccomp/AppArmor and masked paths that have no Windows meaning at all.
 * A field counts when it is present with any value, even an empty or false one: the mappers never
 * write them, so their presence means Linux code leaked into a Windows body.
 */
import { internal } from '../errors.js';
import type { ContainerCreateBody } from '../docker/types.js';

export const LINUX_ONLY_HOST_CONFIG_FIELDS: readonly string[] = Object.freeze([
  'CapAdd',
  'CapDrop',
  'Capabilities',
  'Sysctls',
  'PidMode',
  'IpcMode',
  'UTSMode',
  'UsernsMode',
  'Cgroup',
  'CgroupnsMode',
  'CgroupParent',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'OomKillDisable',
  'OomScoreAdj',
  'PidsLimit',
  'Ulimits',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'DeviceCgroupRules',
  'DeviceRequests',
  'MaskedPaths',
  'ReadonlyPaths',
  'Privileged',
  'ReadonlyRootfs',
  'ShmSize',
  'Tmpfs',
  'GroupAdd',
  'Init',
  'Runtime',
]);

const present = (v: unknown): boolean => v !== undefined;

function securityOptProblems(opts: unknown): string[] {
  if (!Array.isArray(opts)) return [];
  return opts
    .filter((o) => typeof o !== 'string' || !/^credentialspec=(file|registry|raw):\/\/./i.test(o))
    .map(
      (o) =>
        `HostConfig.SecurityOpt ${JSON.stringify(o)} (Windows takes only credentialspec=file|registry|raw://...)`,
    );
}

function mountProblems(mounts: unknown): string[] {
  if (!Array.isArray(mounts)) return [];
  return mounts.flatMap((m: Record<string, unknown>, i) => {
    const out: string[] = [];
    if (m['Type'] === 'tmpfs' || m['TmpfsOptions'] !== undefined)
      out.push(`HostConfig.Mounts[${i}] is a tmpfs mount`);
    const bind = m['BindOptions'] as Record<string, unknown> | undefined;
    if (bind !== undefined)
      out.push(`HostConfig.Mounts[${i}].BindOptions (propagation and recursion are Linux-only)`);
    if (m['Type'] === 'npipe' && m['ReadOnly'] !== undefined)
      out.push(`HostConfig.Mounts[${i}].ReadOnly on a named pipe`);
    return out;
  });
}

function deviceProblems(devices: unknown): string[] {
  if (!Array.isArray(devices)) return [];
  return devices
    .filter(
      (d: Record<string, unknown>) =>
        typeof d['PathOnHost'] !== 'string' || !/^(class\/|[^/:]+:\/\/)./.test(d['PathOnHost']),
    )
    .map(
      (d) =>
        `HostConfig.Devices ${JSON.stringify(d['PathOnHost'])} (Windows takes class/<GUID> or <type>://<id>)`,
    );
}

function networkProblems(body: ContainerCreateBody, hc: Record<string, unknown>): string[] {
  const mode = hc['NetworkMode'];
  if (mode === 'host' || mode === 'bridge')
    return [`HostConfig.NetworkMode ${mode} (Windows has nat, none, container:<id> or a named network)`];
  if (typeof mode !== 'string' || !mode.startsWith('container:')) return [];
  // moby runconfig validateNetContainerMode refuses these next to container:<id>.
  const clashes = [
    ['Hostname', body.Hostname],
    ['ExposedPorts', body.ExposedPorts],
    ['HostConfig.Dns', hc['Dns']],
    ['HostConfig.ExtraHosts', hc['ExtraHosts']],
    ['HostConfig.PortBindings', hc['PortBindings']],
  ].filter(([, v]) => present(v));
  const out = clashes.map(([name]) => `${String(name)} next to NetworkMode ${mode}`);
  if (hc['Isolation'] === 'hyperv')
    out.push(
      `NetworkMode ${mode} with Hyper-V isolation (Docker cannot share a Hyper-V container's network)`,
    );
  return out;
}

/** Everything in `body` that a Windows engine refuses, ignores or misreads; [] when it is fine. */
export function windowsSafetyProblems(body: ContainerCreateBody): string[] {
  const hc = (body.HostConfig ?? {}) as Record<string, unknown>;
  const problems = LINUX_ONLY_HOST_CONFIG_FIELDS.filter((f) => present(hc[f])).map((f) => `HostConfig.${f}`);
  if (hc['Isolation'] !== 'process' && hc['Isolation'] !== 'hyperv') {
    problems.push(
      "HostConfig.Isolation is not 'process' or 'hyperv' (the daemon default is hyperv on client SKUs)",
    );
  }
  problems.push(
    ...securityOptProblems(hc['SecurityOpt']),
    ...mountProblems(hc['Mounts']),
    ...deviceProblems(hc['Devices']),
    ...networkProblems(body, hc),
  );
  return problems;
}

/** Throws INTERNAL listing every problem: a Windows body with Linux settings is a wincri bug. */
export function assertWindowsSafe(body: ContainerCreateBody): void {
  const problems = windowsSafetyProblems(body);
  if (problems.length > 0) {
    throw internal(`create body for ${body.Image} is not fit for a Windows engine: ${problems.join('; ')}`);
  }
}
