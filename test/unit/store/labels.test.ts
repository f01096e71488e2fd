import { describe, expect, it } from 'vitest';
import {
  LABELS,
  containerLabels,
  kindOf,
  readContainerLabels,
  readSandboxLabels,
  sandboxLabels,
  type ContainerLabels,
  type SandboxLabels,
} from '../../../src/store/labels.js';

const sandbox: SandboxLabels = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', attempt: 1 },
  labels: { app: 'web', 'io.kubernetes.pod.name': 'p', weird: 'a=b,c "d"' },
  annotations: { 'kubernetes.io/config.seen': '2024-01-01T00:00:00Z', empty: '' },
  logDirectory: '/var/log/pods/ns_p_u-1',
  createdAt: 1_714_000_000_123_456_789n,
  namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD', targetId: '' },
  decision: {
    handler: 'runc',
    resolvedHandler: 'runc',
    isolation: undefined,
    dockerRuntime: 'runc',
    reason: 'asked',
  },
  hostname: 'web-0',
  dns: { servers: ['10.0.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] },
  portMappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080, host_ip: '' }],
};

const container: ContainerLabels = {
  sandboxId: 'abc123',
  metadata: { name: 'web', attempt: 4 },
  labels: {},
  annotations: { 'io.kubernetes.container.hash': '1234' },
  logPath: '/var/log/pods/ns_p_u-1/web/4.log',
  createdAt: 9_007_199_254_740_993n,
  image: 'registry.k8s.io/pause:3.9',
  imageVolumes: {},
};

describe('labels round-trip everything Status and List need', () => {
  it('sandbox', () => {
    const labels = sandboxLabels(sandbox);
    expect(kindOf(labels)).toBe('sandbox');
    expect(readSandboxLabels(labels)).toEqual(sandbox);
  });

  it('container (created_at beyond 2^53 stays exact)', () => {
    const labels = containerLabels(container);
    expect(kindOf(labels)).toBe('container');
    expect(readContainerLabels(labels)).toEqual(container);
  });

  it('container with image volumes (their images by container path), and none without the label', () => {
    const withVolumes = {
      ...container,
      imageVolumes: { '/mnt/iv': 'registry.k8s.io/e2e-test-images/busybox:1.29-2' },
    };
    const labels = containerLabels(withVolumes);
    expect(labels[LABELS.imageVolumes]).toBe('{"/mnt/iv":"registry.k8s.io/e2e-test-images/busybox:1.29-2"}');
    expect(readContainerLabels(labels)).toEqual(withVolumes);
    expect(containerLabels(container)).not.toHaveProperty([LABELS.imageVolumes]);
  });

  it.each([
    [{ ...containerLabels(container), [LABELS.metadata]: '{' }, `label ${LABELS.metadata} is not JSON`],
    [{ ...containerLabels(container), [LABELS.createdAt]: '12a' }, 'is not a time in ns'],
    [{ ...containerLabels(container), [LABELS.labels]: '{"a":1}' }, 'not a JSON object of strings'],
    [{ ...containerLabels(container), [LABELS.sandboxId]: '' }, 'is missing'],
  ])('malformed labels are INTERNAL naming the label (%#)', (labels, message) => {
    expect(() => readContainerLabels(labels)).toThrow(message);
  });

  it.each([
    [{}, undefined],
    [{ [LABELS.kind]: 'other' }, undefined],
    [{ [LABELS.kind]: 'container' }, 'container'],
  ])('kindOf(%j) = %s', (labels, kind) => {
    expect(kindOf(labels)).toBe(kind);
  });
});
