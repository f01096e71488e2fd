import { describe, expect, it } from 'vitest';
import {
  describeSource,
  mirrorTable,
  parseMirror,
  throughMirror,
} from '../../../../src/cri/image/mirrors.js';
import { formatReference, parseReference } from '../../../../src/cri/image/reference.js';

describe('registry mirrors', () => {
  it.each([
    ['registry.k8s.io=http://127.0.0.1:5000', 'registry.k8s.io', { host: '127.0.0.1:5000', pathPrefix: '' }],
    ['gcr.io=https://mirror.example:5000/gcr/', 'gcr.io', { host: 'mirror.example:5000', pathPrefix: 'gcr' }],
    ['docker.io=mirror.local', 'docker.io', { host: 'mirror.local', pathPrefix: '' }],
  ])('parses %s', (spec, registry, mirror) => {
    expect(parseMirror(spec)).toEqual([registry, mirror]);
  });

  it.each(['registry.k8s.io', '=http://x', 'registry.k8s.io=', 'a b=http://x', 'a/b=http://x'])(
    'refuses %j',
    (spec) => {
      expect(() => parseMirror(spec)).toThrow(/REGISTRY=URL/);
    },
  );

  const table = mirrorTable(['registry.k8s.io=http://127.0.0.1:5000', 'docker.io=http://mirror:5000/hub']);

  it.each([
    ['registry.k8s.io/e2e-test-images/busybox:1.29-2', '127.0.0.1:5000/e2e-test-images/busybox:1.29-2'],
    ['busybox', 'mirror:5000/hub/library/busybox:latest'],
    ['registry.k8s.io/pause@sha256:' + 'd'.repeat(64), '127.0.0.1:5000/pause@sha256:' + 'd'.repeat(64)],
  ])('%s is pulled as %s', (name, mirrored) => {
    const ref = throughMirror(parseReference(name), table);
    expect(ref && formatReference(ref)).toBe(mirrored);
  });

  it('leaves registries without a mirror alone', () => {
    expect(throughMirror(parseReference('quay.io/a/b:1'), table)).toBeUndefined();
    expect(describeSource(parseReference('quay.io/a/b:1'), table)).toBe('quay.io/a/b:1');
    expect(describeSource(parseReference('registry.k8s.io/p:1'), table)).toContain(
      'through mirror 127.0.0.1:5000/p:1',
    );
  });
});
