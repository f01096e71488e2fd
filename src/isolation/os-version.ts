/**
 * Windows OS versions and the rule that says which image builds a host can run process-isolated.
 *
 * The rule is hcsshim's `osversion.CheckHostAndContainerCompat` (also containerd/platforms'
 * `platform_windows_compat.go`), restated here, not copied:
 * - major and minor must be equal;
 * - a host older than Windows Server 2022 (build 20348) runs only images of exactly its build;
 * - from 20348 on (the "stable ABI"), a host runs images from the newest LTSC build strictly older
 *   than itself (20348 when the host is exactly 20348) up to its own build.
 * Hyper-V isolation runs any image that is not newer than the host (Microsoft's version-compatibility
 * matrix marks a newer guest as unsupported).
 */

export interface WindowsVersion {
  major: number;
  minor: number;
  build: number;
  /** The update revision (UBR), when the source carries one; it never matters from build 17763 on. */
  revision?: number;
}

/** LTSC builds that carry the stable container ABI, ascending (hcsshim `compatLTSCReleases`). */
export const STABLE_ABI_LTSC_BUILDS: readonly number[] = [20348, 26100];

/** The first build with the stable ABI: Windows Server 2022. */
export const FIRST_STABLE_ABI_BUILD = 20348;

const RELEASE_NAMES: ReadonlyMap<number, string> = new Map([
  [14393, 'Windows Server 2016 (ltsc2016)'],
  [17763, 'Windows Server 2019 (ltsc2019, 1809)'],
  [19041, 'Windows 10 20H1'],
  [19042, 'Windows 10 20H2'],
  [20348, 'Windows Server 2022 (ltsc2022)'],
  [22000, 'Windows 11 21H2'],
  [22621, 'Windows 11 22H2'],
  [22631, 'Windows 11 23H2'],
  [25398, 'Windows Server 23H2'],
  [26100, 'Windows Server 2025 (ltsc2025) / Windows 11 24H2'],
]);

/** "20348 (Windows Server 2022 (ltsc2022))", or just the number for a build we have no name for. */
export function describeBuild(build: number): string {
  const name = RELEASE_NAMES.get(build);
  return name === undefined ? String(build) : `${build} (${name})`;
}

const DOTTED = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?$/;
// docker info KernelVersion on Windows: "%d.%d %d (%s)", e.g. "10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)".
const KERNEL_VERSION = /^(\d+)\.(\d+) (\d+)(?: \(([^)]*)\))?$/;

/**
 * Parses a dotted Windows version: image inspect `OsVersion` ("10.0.20348.2340") or docker info
 * `OSVersion` ("10.0.20348"). Returns undefined for anything else, including "".
 */
export function parseWindowsVersion(text: string | undefined): WindowsVersion | undefined {
  const m = DOTTED.exec((text ?? '').trim());
  if (!m) return undefined;
  const version: WindowsVersion = { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
  if (m[4] !== undefined) version.revision = Number(m[4]);
  return version;
}

/**
 * Parses docker info `KernelVersion` on Windows, "10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)".
 * The part in brackets is the registry BuildLabEx, whose second field is not the UBR, so no revision.
 */
export function parseWindowsKernelVersion(text: string | undefined): WindowsVersion | undefined {
  const m = KERNEL_VERSION.exec((text ?? '').trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
}

/** The oldest image build a host of `hostBuild` (>= 20348) runs process-isolated. */
export function oldestProcessCompatibleBuild(hostBuild: number): number {
  let oldest = FIRST_STABLE_ABI_BUILD;
  for (const ltsc of STABLE_ABI_LTSC_BUILDS) if (ltsc < hostBuild) oldest = ltsc;
  return oldest;
}

export type CompatVerdict =
  { ok: true } | { ok: false; why: 'major-minor' | 'exact-build' | 'too-old' | 'newer-than-host' };

/** Whether an image of version `image` may run process-isolated on `host`. */
export function processIsolationVerdict(host: WindowsVersion, image: WindowsVersion): CompatVerdict {
  if (host.major !== image.major || host.minor !== image.minor) return { ok: false, why: 'major-minor' };
  if (image.build > host.build) return { ok: false, why: 'newer-than-host' };
  if (host.build < FIRST_STABLE_ABI_BUILD) {
    return image.build === host.build ? { ok: true } : { ok: false, why: 'exact-build' };
  }
  return image.build >= oldestProcessCompatibleBuild(host.build)
    ? { ok: true }
    : { ok: false, why: 'too-old' };
}

/** Whether an image of version `image` may run under Hyper-V isolation on `host`: never newer. */
export function hyperVIsolationVerdict(host: WindowsVersion, image: WindowsVersion): CompatVerdict {
  if (host.major !== image.major || host.minor !== image.minor) return { ok: false, why: 'major-minor' };
  return image.build > host.build ? { ok: false, why: 'newer-than-host' } : { ok: true };
}

/** The image builds a host runs process-isolated, as text for messages: "20348 to 26100". */
export function processCompatibleRange(hostBuild: number): string {
  if (hostBuild < FIRST_STABLE_ABI_BUILD) return `exactly ${hostBuild}`;
  const oldest = oldestProcessCompatibleBuild(hostBuild);
  return oldest === hostBuild ? `exactly ${hostBuild}` : `${oldest} to ${hostBuild}`;
}
