import { isIPv4 } from 'node:net';

/**
 * What the runtime reads from a CNI result: the pod's IPs. Results of 0.3.0 and later list
 * `ips[].address` (CIDR form); 0.1.0/0.2.0 have `ip4.ip` and `ip6.ip`. IPv4 comes first, as the
 * kubelet takes the first IP as the pod IP and the rest as additional IPs (dual stack).
 */
export function podIps(result: Readonly<Record<string, unknown>> | undefined): string[] {
  if (!result) return [];
  const addresses: string[] = [];
  if (Array.isArray(result.ips)) {
    for (const ip of result.ips as unknown[]) {
      const address = (ip as { address?: unknown } | null)?.address;
      if (typeof address === 'string') addresses.push(address);
    }
  }
  for (const key of ['ip4', 'ip6']) {
    const address = (result[key] as { ip?: unknown } | undefined)?.ip;
    if (typeof address === 'string') addresses.push(address);
  }
  const ips = [...new Set(addresses.map((a) => a.split('/')[0]!).filter((a) => a !== ''))];
  return [...ips.filter((ip) => isIPv4(ip)), ...ips.filter((ip) => !isIPv4(ip))];
}
