import { describe, expect, it } from 'vitest';
import {
  capabilityArgs,
  cniArgs,
  parseQuantity,
  type PodNetworkInfo,
} from '../../../../src/network/cni/capabilities.js';
import { podIps } from '../../../../src/network/cni/result.js';

const pod = (over: Partial<PodNetworkInfo> = {}): PodNetworkInfo => ({
  namespace: 'default',
  name: 'web',
  uid: 'uid-1',
  sandboxId: 'abc123',
  portMappings: [],
  annotations: {},
  ...over,
});

describe('CNI capability args', () => {
  it('builds CNI_ARGS with the four K8S_ keys', () => {
    expect(cniArgs(pod())).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', 'default'],
      ['K8S_POD_NAME', 'web'],
      ['K8S_POD_INFRA_CONTAINER_ID', 'abc123'],
      ['K8S_POD_UID', 'uid-1'],
    ]);
  });

  it('passes TCP and UDP host ports, drops ports without a host port', () => {
    const args = capabilityArgs(
      pod({
        portMappings: [
          { protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIP: '' },
          { protocol: 'udp', containerPort: 53, hostPort: 5353, hostIP: '127.0.0.1' },
          { protocol: 'tcp', containerPort: 9000, hostPort: 0, hostIP: '' },
        ],
      }),
    );
    expect(args.portMappings).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
    ]);
  });

  it('passes dns, ipRanges, ips and mac', () => {
    const args = capabilityArgs(
      pod({
        dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
        podCidrs: ['10.244.1.0/24'],
        annotations: {
          'cni.wincri.io/ips': '10.77.0.9/24, fd00::9',
          'cni.wincri.io/mac': '0a:58:0a:f4:00:05',
        },
      }),
    );
    expect(args).toMatchObject({
      dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
      ipRanges: [[{ subnet: '10.244.1.0/24' }]],
      ips: ['10.77.0.9/24', 'fd00::9'],
      mac: '0a:58:0a:f4:00:05',
    });
  });

  it('turns the bandwidth annotations into bits per second, as dockershim did', () => {
    const args = capabilityArgs(
      pod({
        annotations: { 'kubernetes.io/ingress-bandwidth': '1M', 'kubernetes.io/egress-bandwidth': '2Mi' },
      }),
    );
    expect(args.bandwidth).toEqual({
      ingressRate: 1_000_000,
      ingressBurst: 2 ** 31 - 1,
      egressRate: 2 * 1024 * 1024,
      egressBurst: 2 ** 31 - 1,
    });
    expect(capabilityArgs(pod()).bandwidth).toBeUndefined();
  });

  it.each([
    [{ 'kubernetes.io/ingress-bandwidth': 'fast' }, /not a quantity/],
    [{ 'kubernetes.io/egress-bandwidth': '10' }, /unreasonably small/],
    [{ 'kubernetes.io/egress-bandwidth': '2E' }, /unreasonably large/],
    [{ 'cni.wincri.io/ips': '10.0.0.300' }, /not an IP address/],
    [{ 'cni.wincri.io/mac': '0a:58' }, /not a MAC address/],
  ])('refuses %j with INVALID_ARGUMENT', (annotations, message) => {
    expect(() => capabilityArgs(pod({ annotations }))).toThrow(message);
    try {
      capabilityArgs(pod({ annotations }));
    } catch (err) {
      expect((err as { kind: string }).kind).toBe('InvalidArgument');
    }
  });

  it.each([
    ['10M', 10_000_000],
    ['1.5k', 1500],
    ['1Gi', 2 ** 30],
    ['1e6', 1_000_000],
    ['100m', 1],
    ['12', 12],
    ['x1', undefined],
    ['1Q', undefined],
  ])('parses the quantity %s', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });
});

describe('pod IPs of a CNI result', () => {
  it('lists IPv4 first, without prefixes, once each', () => {
    expect(
      podIps({ ips: [{ address: 'fd00::5/64' }, { address: '10.77.0.5/24' }, { address: '10.77.0.5/24' }] }),
    ).toEqual(['10.77.0.5', 'fd00::5']);
  });
  it('reads 0.2.0 results', () => {
    expect(podIps({ ip4: { ip: '10.1.0.2/16' }, ip6: { ip: 'fd00::2/64' } })).toEqual([
      '10.1.0.2',
      'fd00::2',
    ]);
  });
  it('has none for an empty result', () => {
    expect(podIps(undefined)).toEqual([]);
    expect(podIps({})).toEqual([]);
  });
});
