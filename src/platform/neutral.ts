/**
 * What a Docker create body holds on every engine OS, shared by the Linux and Windows mappers:
 * the neutral container fields, the engine settings every wincri container carries, the pod's
 * published ports and the default namespace modes.
 */
import { invalidArgument } from '../errors.js';
import type { ContainerCreateBody, HostConfig } from '../docker/types.js';
import type { ContainerConfig__Output } from '../generated/runtime/v1/ContainerConfig.js';
import type { NamespaceOption__Output } from '../generated/runtime/v1/NamespaceOption.js';
import type { Signal__Output } from '../generated/runtime/v1/Signal.js';
import type { NamespaceOptions } from '../types/pod.js';
import type { Mount__Output } from '../generated/runtime/v1/Mount.js';

/** Settings every wincri-made container carries: no engine restarts, and the engine's json-file log. */
export const engineDefaults = (): Pick<HostConfig, 'RestartPolicy' | 'LogConfig'> => ({
  RestartPolicy: { Name: 'no' },
  // The CRI log copier reads the engine's own log store through the API.
  LogConfig: { Type: 'json-file' },
});

/** The CRI namespace options with the CRI defaults (POD) filled in. */
export function namespaceOptions(option: NamespaceOption__Output | null | undefined): NamespaceOptions {
  return {
    network: option?.network ?? 'POD',
    pid: option?.pid ?? 'POD',
    ipc: option?.ipc ?? 'POD',
    targetId: option?.target_id ?? '',
  };
}

/** The pod's port mappings as Docker's ExposedPorts and PortBindings (host_port 0: exposed only). */
export function publishPorts(
  body: ContainerCreateBody,
  // Structural: the CRI's PortMapping, or the copy a Windows Hyper-V pod keeps in its labels.
  mappings: readonly { protocol: string; container_port: number; host_port: number; host_ip: string }[],
): void {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const [i, pm] of mappings.entries()) {
    if (!Number.isInteger(pm.container_port) || pm.container_port <= 0 || pm.container_port > 65535) {
      throw invalidArgument(
        `config.port_mappings[${i}].container_port ${pm.container_port} is not a port (1-65535)`,
      );
    }
    if (pm.host_port < 0 || pm.host_port > 65535) {
      throw invalidArgument(`config.port_mappings[${i}].host_port ${pm.host_port} is not a port (0-65535)`);
    }
    const key = `${pm.container_port}/${pm.protocol.toLowerCase()}`;
    exposed[key] = {};
    if (pm.host_port > 0) {
      const binding: { HostIp?: string; HostPort?: string } = { HostPort: String(pm.host_port) };
      if (pm.host_ip) binding.HostIp = pm.host_ip;
      (bindings[key] ??= []).push(binding);
    }
  }
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length > 0) (body.HostConfig ??= {}).PortBindings = bindings;
}

/**
 * What a container body holds on every OS: image, labels, command, environment, working directory,
 * terminal and stdin, stop signal. `host` is the OS mapper's HostConfig.
 */
export function neutralContainerBody(
  config: ContainerConfig__Output,
  image: string,
  labels: Record<string, string>,
  host: HostConfig,
): ContainerCreateBody {
  const body: ContainerCreateBody = {
    Image: image,
    Labels: labels,
    Tty: config.tty,
    OpenStdin: config.stdin,
    StdinOnce: config.stdin_once,
    AttachStdin: config.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Env: config.envs.map((kv) => `${kv.key}=${envValue(kv.value)}`),
    HostConfig: host,
  };
  // CRI: command replaces the image's ENTRYPOINT, args its CMD (Docker drops the image CMD too when
  // ENTRYPOINT is given, which is the Kubernetes rule for "command without args").
  if (config.command.length > 0) body.Entrypoint = [...config.command];
  if (config.args.length > 0) body.Cmd = [...config.args];
  if (config.working_dir) body.WorkingDir = config.working_dir;
  const stopSignal = dockerSignal(config.stop_signal);
  if (stopSignal) body.StopSignal = stopSignal;
  return body;
}

/**
 * A CRI Signal as Docker names it: SIGNAL_SIGTERM -> SIGTERM (the enum's names carry a SIGNAL_ prefix
 * since cri-api v0.37; the numbers did not change), SIGNAL_SIGRTMINPLUS3 -> SIGRTMIN+3,
 * SIGNAL_SIGRTMAXMINUS2 -> SIGRTMAX-2; undefined for the runtime default (the image's own).
 */
export function dockerSignal(signal: Signal__Output | undefined): string | undefined {
  if (!signal || signal === 'SIGNAL_RUNTIME_DEFAULT') return undefined;
  return signal
    .replace(/^SIGNAL_/, '')
    .replace(/^(SIGRTMIN)PLUS(\d+)$/, '$1+$2')
    .replace(/^(SIGRTMAX)MINUS(\d+)$/, '$1-$2');
}

/** `KeyValue.value` is bytes since CRI v0.36.3 (a Buffer), a string before. */
function envValue(value: Buffer | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * CRI v0.37 `mount_options` (noexec, nosuid, nodev) are not applied: Docker's Mounts API has no
 * field for them, and a local volume with `o=bind,noexec` silently skips the flags on a writable
 * bind (moby remounts, which is what applies them, only for `ro`). Refusing is the honest answer;
 * Status reports `mount_options: false`, so a kubelet does not send them.
 */
export function refuseMountOptions(m: Mount__Output, field: string): void {
  if (m.mount_options.length === 0) return;
  throw invalidArgument(
    `${field}.mount_options ${JSON.stringify(m.mount_options)}: wincri does not apply mount options on a Docker engine (Status reports mount_options false); remove them`,
  );
}
