import { isIP } from 'node:net';
import { invalidArgument } from '../../errors.js';

/**
 * Runtime configuration handed to plugins (CNI spec 1.1 "Deriving runtimeConfig", the conventions
 * document for each capability), built from what the kubelet tells the runtime about a pod. libcni
 * passes a capability only to plugins whose config asks for it; that filter is in `cni.ts`.
 */

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PodPortMapping {
  readonly protocol: PortProtocol;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly hostIP: string;
}

export interface PodDns {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** What the runtime knows of a pod when it attaches it. */
export interface PodNetworkInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The sandbox (pause) container's id: CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID. */
  readonly sandboxId: string;
  readonly portMappings: readonly PodPortMapping[];
  readonly dns?: PodDns;
  readonly annotations: Readonly<Record<string, string>>;
  /** The node's pod CIDRs (UpdateRuntimeConfig), for the `ipRanges` capability. */
  readonly podCidrs?: readonly string[];
}

/** The pod annotations kubelet's bandwidth shaping reads, and ours for fixed addresses. */
export const INGRESS_BANDWIDTH = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_BANDWIDTH = 'kubernetes.io/egress-bandwidth';
export const IPS_ANNOTATION = 'cni.wincri.io/ips';
export const MAC_ANNOTATION = 'cni.wincri.io/mac';

/** `CNI_ARGS` as dockershim, cri-dockerd and containerd send it. */
export function cniArgs(pod: PodNetworkInfo): [string, string][] {
  return [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', pod.namespace],
    ['K8S_POD_NAME', pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.sandboxId],
    ['K8S_POD_UID', pod.uid],
  ];
}

/** Every capability this runtime can fill for the pod; bad annotations are INVALID_ARGUMENT. */
export function capabilityArgs(pod: PodNetworkInfo): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  // Only mappings with a host port are port mappings; the rest are documentation.
  const mappings = pod.portMappings.filter((m) => m.hostPort > 0);
  args.portMappings = mappings.map((m) => ({
    hostPort: m.hostPort,
    containerPort: m.containerPort,
    protocol: m.protocol,
    ...(m.hostIP ? { hostIP: m.hostIP } : {}),
  }));
  if (pod.dns) {
    args.dns = {
      servers: [...pod.dns.servers],
      searches: [...pod.dns.searches],
      options: [...pod.dns.options],
    };
  }
  const bandwidth = bandwidthOf(pod.annotations);
  if (bandwidth) args.bandwidth = bandwidth;
  const ips = ipsOf(pod.annotations);
  if (ips) args.ips = ips;
  const mac = macOf(pod.annotations);
  if (mac) args.mac = mac;
  if (pod.podCidrs && pod.podCidrs.length > 0) args.ipRanges = [pod.podCidrs.map((subnet) => ({ subnet }))];
  return args;
}

/**
 * The `bandwidth` capability in bits per second, as dockershim and cri-dockerd fill it: the burst is
 * left at 2^31-1 bits ("no limit" for the tbf burst), and kubelet's bounds apply (1 kbit to 1 Pbit).
 */
function bandwidthOf(annotations: Readonly<Record<string, string>>): Record<string, number> | undefined {
  const ingress = annotations[INGRESS_BANDWIDTH];
  const egress = annotations[EGRESS_BANDWIDTH];
  if (ingress === undefined && egress === undefined) return undefined;
  const out: Record<string, number> = {};
  if (ingress !== undefined) {
    out.ingressRate = bandwidthValue(INGRESS_BANDWIDTH, ingress);
    out.ingressBurst = UNLIMITED_BURST;
  }
  if (egress !== undefined) {
    out.egressRate = bandwidthValue(EGRESS_BANDWIDTH, egress);
    out.egressBurst = UNLIMITED_BURST;
  }
  return out;
}

const UNLIMITED_BURST = 2 ** 31 - 1;

function bandwidthValue(key: string, text: string): number {
  const bits = parseQuantity(text);
  if (bits === undefined)
    throw invalidArgument(`annotation ${key}=${JSON.stringify(text)}: not a quantity such as 10M or 1Gi`);
  if (bits < 1000) throw invalidArgument(`annotation ${key}=${text}: unreasonably small (< 1kbit)`);
  if (bits > 1e15) throw invalidArgument(`annotation ${key}=${text}: unreasonably large (> 1Pbit)`);
  return bits;
}

const SUFFIXES: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity (`10M`, `1.5Gi`, `1e6`) as a whole number, rounded up like Value(). */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const base = Number(match[1]);
  const value =
    match[2] !== undefined ? base * 10 ** Number(match[2].slice(1)) : base * SUFFIXES[match[3] ?? '']!;
  return Number.isFinite(value) ? Math.ceil(value) : undefined;
}

function ipsOf(annotations: Readonly<Record<string, string>>): string[] | undefined {
  const text = annotations[IPS_ANNOTATION];
  if (text === undefined) return undefined;
  const ips = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const ip of ips) {
    const [address, prefix, extra] = ip.split('/');
    const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= 128);
    if (extra !== undefined || !isIP(address ?? '') || !okPrefix)
      throw invalidArgument(
        `annotation ${IPS_ANNOTATION}: ${JSON.stringify(ip)} is not an IP address (optionally /prefix)`,
      );
  }
  return ips.length > 0 ? ips : undefined;
}

function macOf(annotations: Readonly<Record<string, string>>): string | undefined {
  const mac = annotations[MAC_ANNOTATION];
  if (mac === undefined) return undefined;
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac))
    throw invalidArgument(
      `annotation ${MAC_ANNOTATION}: ${JSON.stringify(mac)} is not a MAC address like 0a:58:0a:f4:00:05`,
    );
  return mac;
}
