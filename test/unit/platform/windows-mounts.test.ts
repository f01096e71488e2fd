import { describe, expect, it } from 'vitest';

import {
  TERMINATION_MESSAGE_PATH_ANNOTATION,
  windowsContainerPath,
  windowsMounts,
} from '../../../src/platform/windows-mounts.js';
import { mount } from '../../fixtures/windows/cri-builders.js';

describe('windowsContainerPath (the kubelet MakeAbsolutePath rule)', () => {
  it.each([
    ['C:\\data', 'C:\\data'],
    [
      'c:/var/run/secrets/kubernetes.io/serviceaccount',
      'c:\\var\\run\\secrets\\kubernetes.io\\serviceaccount',
    ],
    ['/etc/config', 'C:\\etc\\config'],
    ['\\etc\\config\\', 'C:\\etc\\config'],
    ['data', 'C:\\data'],
    ['D:\\logs', 'D:\\logs'],
  ])('%s -> %s', (path, expected) => {
    expect(windowsContainerPath(path)).toBe(expected);
  });
});

describe('windowsMounts', () => {
  it('binds drive-letter directories, read-only when asked, without propagation', () => {
    const { mounts, notes } = windowsMounts([
      mount({
        host_path: 'c:\\var\\lib\\kubelet\\pods\\u1\\volumes\\kubernetes.io~secret\\token',
        container_path: 'c:/var/run/secrets',
        readonly: true,
        propagation: 'PROPAGATION_HOST_TO_CONTAINER',
      }),
      mount({ host_path: 'D:/data/', container_path: 'C:\\data', selinux_relabel: true }),
      mount({ host_path: '\\\\?\\C:\\long\\path', container_path: 'C:\\long' }),
    ]);
    expect(mounts).toEqual([
      {
        Type: 'bind',
        Source: 'c:\\var\\lib\\kubelet\\pods\\u1\\volumes\\kubernetes.io~secret\\token',
        Target: 'c:\\var\\run\\secrets',
        ReadOnly: true,
      },
      { Type: 'bind', Source: 'D:\\data', Target: 'C:\\data' },
      { Type: 'bind', Source: '\\\\?\\C:\\long\\path', Target: 'C:\\long' },
    ]);
    expect(notes).toEqual([]);
  });

  it('mounts named pipes as npipe, never read-only', () => {
    const { mounts, notes } = windowsMounts([
      mount({
        host_path: '\\\\.\\pipe\\docker_engine',
        container_path: '\\\\.\\pipe\\docker_engine',
        readonly: true,
      }),
      mount({
        host_path: '//./pipe/containerd-containerd',
        container_path: '//./pipe/containerd-containerd',
      }),
    ]);
    expect(mounts).toEqual([
      { Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Target: '\\\\.\\pipe\\docker_engine' },
      {
        Type: 'npipe',
        Source: '\\\\.\\pipe\\containerd-containerd',
        Target: '\\\\.\\pipe\\containerd-containerd',
      },
    ]);
    expect(notes).toEqual([
      'mounts[0] (\\\\.\\pipe\\docker_engine): a named pipe cannot be read-only in Docker, mounted read-write',
    ]);
  });

  it("leaves out the kubelet's single-file mounts, which Docker on Windows cannot make", () => {
    const { mounts, notes } = windowsMounts(
      [
        mount({
          host_path: 'c:\\var\\lib\\kubelet\\pods\\u1\\containers\\app\\1a2b',
          container_path: 'c:/dev/termination-log',
        }),
        mount({
          host_path: 'c:\\var\\lib\\kubelet\\pods\\u1\\etc-hosts',
          container_path: 'C:\\Windows\\System32\\drivers\\etc\\hosts',
        }),
        mount({
          host_path: 'c:\\var\\lib\\kubelet\\pods\\u1\\containers\\app\\9z',
          container_path: 'c:/tmp/msg',
        }),
      ],
      { [TERMINATION_MESSAGE_PATH_ANNOTATION]: '/tmp/msg' },
    );
    // With a custom terminationMessagePath, /dev/termination-log is an ordinary mount.
    expect(mounts.map((m) => m.Target)).toEqual(['c:\\dev\\termination-log']);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('single-file mount left out');
  });

  it.each([
    [
      { host_path: 'data', container_path: 'C:\\data' },
      'host path "data" is not an absolute Windows path like C:\\data',
    ],
    [{ host_path: '/var/lib/data', container_path: 'C:\\data' }, 'is not an absolute Windows path'],
    [
      { host_path: '\\\\server\\share', container_path: 'C:\\data' },
      'is a UNC path, which Docker cannot bind-mount',
    ],
    [{ host_path: 'C:\\data', container_path: 'C:\\' }, 'cannot mount over the root of drive C:'],
    [{ host_path: 'C:\\data', container_path: '/' }, 'cannot mount over the root of drive C:'],
    [{ host_path: '\\\\.\\pipe\\x', container_path: 'C:\\x' }, 'a named pipe mounts only onto a named pipe'],
    [{ host_path: '', container_path: 'C:\\x' }, 'host_path is empty'],
    [
      { host_path: 'C:\\data', container_path: 'C:\\d', propagation: 'PROPAGATION_BIDIRECTIONAL' as const },
      'Bidirectional mount propagation does not exist on Windows',
    ],
    [
      {
        host_path: 'C:\\data',
        container_path: 'C:\\d',
        uidMappings: [{ host_id: 1, container_id: 0, length: 1 }],
      },
      'ID-mapped mounts',
    ],
    [
      { host_path: 'C:\\data', container_path: 'C:\\d', recursive_read_only: true },
      'recursive read-only mounts are a Linux feature',
    ],
    [
      { host_path: 'C:\\data', container_path: 'C:\\d', mount_options: ['nodev'] },
      'mount_options ["nodev"]: wincri does not apply mount options',
    ],
  ])('refuses %j', (m, message) => {
    expect(() => windowsMounts([mount(m)])).toThrow(message);
  });
});
