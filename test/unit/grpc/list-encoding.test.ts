import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it, vi } from 'vitest';
import { itemCachingSerializer, loadCriRoot, withListItemCaching } from '../../../src/grpc/list-encoding.js';
import { CRI_PROTO_PATH, PROTO_LOADER_OPTIONS } from '../../../src/grpc/proto-options.js';

const root = loadCriRoot(CRI_PROTO_PATH);
const packages = grpc.loadPackageDefinition(
  protoLoader.loadSync(CRI_PROTO_PATH, PROTO_LOADER_OPTIONS),
) as unknown as {
  runtime: {
    v1: {
      RuntimeService: { service: grpc.ServiceDefinition };
      ImageService: { service: grpc.ServiceDefinition };
    };
  };
};
const runtimeDefinition = packages.runtime.v1.RuntimeService.service;

/** proto-loader's own serializer for a method's reply: what the cached one must equal byte for byte. */
const reference = (rpc: string) => (value: unknown) =>
  (runtimeDefinition[rpc] as grpc.MethodDefinition<unknown, unknown>).responseSerialize(value);
const cached = (typeName: string) => {
  const serialize = itemCachingSerializer(root.lookupType(typeName));
  if (!serialize) throw new Error(`${typeName} should be a list reply`);
  return serialize;
};

const pod = (n: number) => ({
  id: `pod-${n}`.padEnd(64, '0'),
  metadata: { name: `web-${n}`, uid: `uid-${n}`, namespace: 'default', attempt: n },
  state: n % 2 ? 'SANDBOX_NOTREADY' : 'SANDBOX_READY',
  created_at: '1764100000123456789',
  labels: { app: 'web', 'io.kubernetes.pod.name': `web-${n}` },
  annotations: { note: 'é ✓' },
  runtime_handler: '',
});

const containerStats = (n: number) => ({
  attributes: { id: `c${n}`, metadata: { name: 'app', attempt: 0 }, labels: {}, annotations: {} },
  cpu: {
    timestamp: '1764100000123456789',
    usage_core_nano_seconds: { value: '18446744073709551615' },
    usage_nano_cores: { value: String(n * 1000) },
  },
  memory: { timestamp: '1764100000123456789', working_set_bytes: { value: '67108864' } },
  writable_layer: {
    timestamp: '1764100000123456789',
    fs_id: { mountpoint: '/var/lib/docker' },
    used_bytes: { value: '4096' },
    inodes_used: { value: '3' },
  },
});

describe('itemCachingSerializer', () => {
  it('encodes list replies exactly as proto-loader does: pods, stats with 64-bit values, empty and absent lists', () => {
    const pods = cached('runtime.v1.ListPodSandboxResponse');
    for (const reply of [{ items: [pod(1), pod(2), pod(300)] }, { items: [] }, {}]) {
      expect(Buffer.compare(pods(reply), reference('ListPodSandbox')(reply))).toBe(0);
    }
    const stats = cached('runtime.v1.ListContainerStatsResponse');
    const reply = { stats: Array.from({ length: 200 }, (_, n) => containerStats(n)) };
    expect(Buffer.compare(stats(reply), reference('ListContainerStats')(reply))).toBe(0);
  });

  it('encodes a frozen item once, and an item that is not frozen every time (it may have changed)', () => {
    const type = root.lookupType('runtime.v1.PodSandbox');
    const encode = vi.spyOn(type, 'encode');
    const serialize = cached('runtime.v1.ListPodSandboxResponse');
    const frozen = Object.freeze(pod(1));
    const loose = pod(2);
    serialize({ items: [frozen, loose] });
    serialize({ items: [frozen, loose] });
    expect(encode).toHaveBeenCalledTimes(3);
    loose.labels.app = 'changed';
    const after = serialize({ items: [frozen, loose] });
    expect(Buffer.compare(after, reference('ListPodSandbox')({ items: [pod(1), loose] }))).toBe(0);
    encode.mockRestore();
  });

  it('hands out the same bytes again for the same frozen items in the same order, and only then', () => {
    const serialize = cached('runtime.v1.ListPodSandboxResponse');
    const [a, b] = [Object.freeze(pod(1)), Object.freeze(pod(2))];
    const first = serialize({ items: [a, b] });
    expect(serialize({ items: [a, b] })).toBe(first);
    const swapped = serialize({ items: [b, a] });
    expect(swapped).not.toBe(first);
    expect(Buffer.compare(swapped, reference('ListPodSandbox')({ items: [pod(2), pod(1)] }))).toBe(0);
    const loose = pod(3);
    const withLoose = serialize({ items: [a, loose] });
    loose.state = 'SANDBOX_READY';
    const again = serialize({ items: [a, loose] });
    expect(again).not.toBe(withLoose);
    expect(Buffer.compare(again, reference('ListPodSandbox')({ items: [pod(1), loose] }))).toBe(0);
  });

  it('refuses a list that is not an array of messages, with the field named', () => {
    const serialize = cached('runtime.v1.ListPodSandboxResponse');
    expect(() => serialize({ items: 'x' })).toThrow(/ListPodSandboxResponse\.items must be an array/);
    expect(() => serialize({ items: [1] })).toThrow(/holds a number/);
  });

  it('applies to the plain list replies only', () => {
    const lists = [
      'ListPodSandboxResponse',
      'ListContainersResponse',
      'ListContainerStatsResponse',
      'ListImagesResponse',
    ];
    for (const name of lists)
      expect(itemCachingSerializer(root.lookupType(`runtime.v1.${name}`))).toBeDefined();
    const others = [
      'VersionResponse',
      'ContainerStatusResponse',
      'ExecSyncResponse',
      'PodSandboxStatsResponse',
    ];
    for (const name of others)
      expect(itemCachingSerializer(root.lookupType(`runtime.v1.${name}`))).toBeUndefined();
  });

  it('swaps the serializer of the unary list RPCs and keeps every other method as it was', () => {
    const adapted = withListItemCaching(runtimeDefinition, root.lookupService('runtime.v1.RuntimeService'));
    const swapped = Object.keys(adapted).filter(
      (rpc) => adapted[rpc]?.responseSerialize !== runtimeDefinition[rpc]?.responseSerialize,
    );
    expect(swapped.sort()).toEqual([
      'ListContainerStats',
      'ListContainers',
      'ListMetricDescriptors',
      'ListPodSandbox',
      'ListPodSandboxMetrics',
      'ListPodSandboxStats',
    ]);
    expect(Object.keys(adapted).sort()).toEqual(Object.keys(runtimeDefinition).sort());
  });
});
