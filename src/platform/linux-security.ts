/**
 * Linux security settings: seccomp profiles, the user to run as, and the capabilities this host
 * can grant. Pure: a localhost seccomp profile is read by the handler and handed in.
 */
import { invalidArgument } from '../errors.js';
import type { HostConfig } from '../docker/types.js';
import type { LinuxContainerSecurityContext__Output } from '../generated/runtime/v1/LinuxContainerSecurityContext.js';
import type { SecurityProfile__Output } from '../generated/runtime/v1/SecurityProfile.js';

/**
 * The seccomp SecurityOpt. The CRI's "no profile" means unconfined (as in containerd), unlike
 * Docker's own default; runtime/default is Docker's default profile (no option needed).
 */
export function seccompOptions(
  profile: SecurityProfile__Output | null | undefined,
  legacyPath: string,
  privileged: boolean,
  localhostJson: string | undefined,
): string[] {
  if (privileged) return [];
  const kind = seccompKind(profile, legacyPath);
  if (kind === 'default') return [];
  if (kind === 'unconfined') return ['seccomp=unconfined'];
  if (localhostJson === undefined) throw invalidArgument(`seccomp profile ${kind.path} was not read`);
  return [`seccomp=${localhostJson}`];
}

type SeccompKind = 'default' | 'unconfined' | { path: string };

function seccompKind(profile: SecurityProfile__Output | null | undefined, legacyPath: string): SeccompKind {
  if (profile) {
    if (profile.profile_type === 'RuntimeDefault') return 'default';
    if (profile.profile_type === 'Unconfined') return 'unconfined';
    return { path: localhostPath(profile.localhost_ref, 'seccomp.localhost_ref') };
  }
  if (legacyPath === '' || legacyPath === 'unconfined') return 'unconfined';
  if (legacyPath === 'runtime/default' || legacyPath === 'docker/default') return 'default';
  if (legacyPath.startsWith('localhost/'))
    return { path: localhostPath(legacyPath.slice('localhost/'.length), 'seccomp_profile_path') };
  throw invalidArgument(
    `seccomp_profile_path ${JSON.stringify(legacyPath)}: use runtime/default, unconfined or localhost/<absolute path>`,
  );
}

function localhostPath(path: string, field: string): string {
  if (!path.startsWith('/'))
    throw invalidArgument(
      `${field} ${JSON.stringify(path)} must be an absolute path to a seccomp profile on the node`,
    );
  return path;
}

/** The host file a localhost seccomp profile names, for the handler to read; undefined if none. */
export function seccompProfileFile(
  profile: SecurityProfile__Output | null | undefined,
  legacyPath: string,
): string | undefined {
  const kind = seccompKind(profile, legacyPath);
  return typeof kind === 'object' ? kind.path : undefined;
}

export function user(sc: LinuxContainerSecurityContext__Output | null | undefined): string | undefined {
  if (!sc) return undefined;
  const uid = sc.run_as_user ? sc.run_as_user.value : undefined;
  const name = sc.run_as_username;
  const gid = sc.run_as_group ? sc.run_as_group.value : undefined;
  const who = uid ?? (name || undefined);
  if (gid !== undefined && who === undefined) {
    throw invalidArgument(
      'security_context.run_as_group needs run_as_user or run_as_username: a group alone names no user',
    );
  }
  if (who === undefined) return undefined;
  return gid === undefined ? String(who) : `${who}:${gid}`;
}

/** Capability names by number (linux/capability.h), as Docker spells them without the CAP_ prefix. */
const CAPABILITY_NAMES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
] as const;

/**
 * The capabilities a container may be given here, from the host's capability bounding set
 * (`CapBnd` of /proc/self/status) and the kernel's last capability; undefined when the host can
 * grant them all (the usual case). Docker's `Privileged` and `CapAdd: ["ALL"]` ask runc for every
 * capability the kernel knows, and runc fails ("unable to apply caps: operation not permitted")
 * where the bounding set withholds one; containerd gives "all" as the bounding set instead. Names
 * stop at AUDIT_READ, the last one Docker 20.10 accepts.
 */
export function grantableCapabilities(boundingMask: bigint, lastCap: number): string[] | undefined {
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  if ((boundingMask & all) === all) return undefined;
  return CAPABILITY_NAMES.filter(
    (_, bit) => bit <= lastCap && ((boundingMask >> BigInt(bit)) & 1n) === 1n,
  ).map((n) => `CAP_${n}`);
}

/**
 * On a host that withholds capabilities, "all capabilities" becomes the ones it can grant: `ALL` in
 * CapAdd is spelled out, and privileged becomes every grantable capability with no seccomp, AppArmor,
 * masked or read-only paths (what remains of privileged that Docker lets a caller say; host
 * devices and a writable /sys are not given, and a note says so).
 */
export function withinGrantable(
  host: HostConfig,
  grantable: readonly string[],
  noNewPrivs: boolean,
  notes: string[],
): void {
  const all = (c: string) => c.toUpperCase() === 'ALL' || c.toUpperCase() === 'CAP_ALL';
  if (host.Privileged) {
    host.Privileged = false;
    host.CapAdd = [...grantable];
    delete host.CapDrop;
    host.MaskedPaths = [];
    host.ReadonlyPaths = [];
    host.SecurityOpt = [
      'seccomp=unconfined',
      'apparmor=unconfined',
      ...(noNewPrivs ? ['no-new-privileges'] : []),
    ];
    notes.push(
      'privileged given as every capability this host can grant, unconfined, nothing masked: the host withholds some ' +
        "capabilities, and Docker's privileged mode fails there; host devices and a writable /sys are not given",
    );
  } else if (host.CapAdd?.some(all)) {
    host.CapAdd = [...new Set([...host.CapAdd.filter((c) => !all(c)), ...grantable])];
    notes.push('capability ALL spelled out as the capabilities this host can grant (it withholds some)');
  }
}
