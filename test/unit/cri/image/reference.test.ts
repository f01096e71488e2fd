import { describe, expect, it } from 'vitest';
import {
  familiarName,
  formatReference,
  isImageId,
  parseReference,
} from '../../../../src/cri/image/reference.js';

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['127.0.0.1:5000/a/b/c:t-1.2_x', '127.0.0.1:5000/a/b/c:t-1.2_x', '127.0.0.1:5000/a/b/c:t-1.2_x'],
    [
      'gcr.io/x/y@sha256:' + 'a'.repeat(64),
      'gcr.io/x/y@sha256:' + 'a'.repeat(64),
      'gcr.io/x/y@sha256:' + 'a'.repeat(64),
    ],
    [
      'gcr.io/x/y:t@sha256:' + 'b'.repeat(64),
      'gcr.io/x/y:t@sha256:' + 'b'.repeat(64),
      'gcr.io/x/y:t@sha256:' + 'b'.repeat(64),
    ],
  ])('%s -> %s', (input, full, familiar) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(full);
    expect(familiarName(ref)).toBe(familiar);
  });

  it.each([
    ['', /empty/],
    [' busybox', /spaces/],
    ['Bad/Name', /lowercase/],
    ['a//b', /lowercase/],
    ['busybox:', /tag/],
    ['busybox:' + 'x'.repeat(129), /tag/],
    ['busybox@sha256:short', /digest/],
    ['a@b@c', /more than one/],
    ['registry.k8s.io/', /lowercase/],
  ])('refuses %j as InvalidArgument', (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  });

  it('tells image ids apart from names', () => {
    expect(isImageId('sha256:' + 'c'.repeat(64))).toBe(true);
    expect(isImageId('c'.repeat(64))).toBe(true);
    expect(isImageId('busybox')).toBe(false);
    expect(isImageId('sha256:' + 'c'.repeat(63))).toBe(false);
  });
});
