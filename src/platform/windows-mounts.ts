/**
 * CRI mounts -> Docker `Mounts` for a Windows engine.
 *
 * Docker's Windows mount parser (moby volume/mounts/windows_parser.go) takes, for `bind`, an absolute
 * drive-letter source that is a directory, a target that is not `C:` or `C:\`, and no propagation;
 * for `npipe`, a `\\.\pipe\...` source and target and no ReadOnly. wincri checks the shapes here so
 * that a mistake is an INVALID_ARGUMENT naming the mount, not a daemon error after the sandbox exists.
 *
 * Single files cannot be bind-mounted on Windows through Docker ("source path must be a directory"),
 * so the kubelet's two single-file mounts are left out, as cri-dockerd does: the termination-message
 * file and the pod's hosts file. Termination messages therefore need `FallbackToLogsOnError`.
 */
import { invalidArgument } from '../errors.js';
import type { MountSpec } from '../docker/types.js';
import type { Mount__Output } from '../generated/runtime/v1/Mount.js';
import { refuseMountOptions } from './neutral.js';

/** The kubelet's container annotation for terminationMessagePath (pkg/kubelet/kuberuntime/labels.go). */
export const TERMINATION_MESSAGE_PATH_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
const WINDOWS_HOSTS_FILE = 'C:\\Windows\\System32\\drivers\\etc\\hosts';

const PIPE_PREFIX = '\\\\.\\pipe\\';
const isPipe = (p: string): boolean => p.replaceAll('/', '\\').toLowerCase().startsWith(PIPE_PREFIX);

/** Backslashes, no doubled separators, no trailing separator (except after a drive root). */
function tidy(path: string): string {
  const p = path.replaceAll('/', '\\').replace(/\\{2,}/g, '\\');
  return p.length > 3 && p.endsWith('\\') ? p.slice(0, -1) : p;
}

/**
 * A container path made absolute the way the kubelet does on Windows (volume util
 * MakeAbsolutePath): a drive is kept, a rooted path gets `C:`, a relative one `C:\`.
 */
export function windowsContainerPath(path: string): string {
  if (/^[A-Za-z]:/.test(path)) return tidy(path);
  if (path.startsWith('/') || path.startsWith('\\')) return tidy(`C:${path}`);
  return tidy(`C:\\${path}`);
}

const sameWindowsPath = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export interface WindowsMountsResult {
  mounts: MountSpec[];
  /** What was left out or changed, for a log line. */
  notes: string[];
}

function hostDirectory(hostPath: string, at: string): string {
  if (/^\\\\\?\\[A-Za-z]:\\/.test(hostPath)) return `\\\\?\\${tidy(hostPath.slice(4))}`;
  if (/^[A-Za-z]:[\\/]/.test(hostPath)) return tidy(hostPath);
  if (/^[\\/]{2}/.test(hostPath)) {
    throw invalidArgument(
      `${at}: host path ${hostPath} is a UNC path, which Docker cannot bind-mount on Windows; map the share on the ` +
        'node (New-SmbGlobalMapping) and mount its local path',
    );
  }
  throw invalidArgument(
    `${at}: host path ${JSON.stringify(hostPath)} is not an absolute Windows path like C:\\data`,
  );
}

function refuseLinuxOnly(m: Mount__Output, at: string): void {
  if (m.propagation === 'PROPAGATION_BIDIRECTIONAL') {
    throw invalidArgument(`${at}: Bidirectional mount propagation does not exist on Windows`);
  }
  if (m.uidMappings.length > 0 || m.gidMappings.length > 0) {
    throw invalidArgument(`${at}: ID-mapped mounts (user namespaces) do not exist on Windows`);
  }
  if (m.recursive_read_only) throw invalidArgument(`${at}: recursive read-only mounts are a Linux feature`);
  refuseMountOptions(m, at);
  if (m.image !== null && m.image.image !== '') {
    throw invalidArgument(`${at}: image volumes (${m.image.image}) are not supported by wincri on Windows`);
  }
}

/**
 * The Docker mounts for `mounts`. `annotations` are the container's (for the termination-message
 * path). HostToContainer propagation, the kubelet's default, and SELinux relabelling have no
 * meaning on Windows and are not sent.
 */
export function windowsMounts(
  mounts: readonly Mount__Output[],
  annotations: Record<string, string> = {},
): WindowsMountsResult {
  const terminationPath = windowsContainerPath(
    annotations[TERMINATION_MESSAGE_PATH_ANNOTATION] || DEFAULT_TERMINATION_MESSAGE_PATH,
  );
  const result: WindowsMountsResult = { mounts: [], notes: [] };
  mounts.forEach((m, i) => {
    const at = `mounts[${i}] (${m.container_path || '?'})`;
    refuseLinuxOnly(m, at);
    if (m.host_path === '') throw invalidArgument(`${at}: host_path is empty`);
    if (m.container_path === '') throw invalidArgument(`${at}: container_path is empty`);

    if (isPipe(m.host_path) || isPipe(m.container_path)) {
      if (!isPipe(m.host_path) || !isPipe(m.container_path)) {
        throw invalidArgument(
          `${at}: a named pipe mounts only onto a named pipe (\\\\.\\pipe\\name on both sides)`,
        );
      }
      result.mounts.push({
        Type: 'npipe',
        Source: m.host_path.replaceAll('/', '\\'),
        Target: m.container_path.replaceAll('/', '\\'),
      });
      if (m.readonly)
        result.notes.push(`${at}: a named pipe cannot be read-only in Docker, mounted read-write`);
      return;
    }

    const target = windowsContainerPath(m.container_path);
    if (sameWindowsPath(target, terminationPath) || sameWindowsPath(target, WINDOWS_HOSTS_FILE)) {
      result.notes.push(`${at}: single-file mount left out (Docker on Windows mounts directories only)`);
      return;
    }
    if (/^[A-Za-z]:\\?$/.test(target))
      throw invalidArgument(`${at}: cannot mount over the root of drive ${target.slice(0, 2)}`);
    const mount: MountSpec = { Type: 'bind', Source: hostDirectory(m.host_path, at), Target: target };
    if (m.readonly) mount.ReadOnly = true;
    result.mounts.push(mount);
  });
  return result;
}
