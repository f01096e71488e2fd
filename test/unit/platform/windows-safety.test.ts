import { describe, expect, it } from 'vitest';

import type { ContainerCreateBody } from '../../../src/docker/types.js';
import { CriError } from '../../../src/errors.js';
import {
  LINUX_ONLY_HOST_CONFIG_FIELDS,
  assertWindowsSafe,
  windowsSafetyProblems,
} from '../../../src/platform/windows-safety.js';

const ok: ContainerCreateBody = {
  Image: 'mcr.microsoft.com/windows/servercore:ltsc2022',
  HostConfig: {
    Isolation: 'process',
    NetworkMode: 'container:abc',
    SecurityOpt: ['credentialspec=raw://{"CmsPlugins":["ActiveDirectory"]}'],
    Mounts: [
      { Type: 'bind', Source: 'C:\\data', Target: 'C:\\data', ReadOnly: true },
      { Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Target: '\\\\.\\pipe\\docker_engine' },
    ],
    Devices: [
      {
        PathOnHost: 'class/5B45201D-F2F2-4F3B-85BB-30FF1F953599',
        PathInContainer: '',
        CgroupPermissions: '',
      },
    ],
    NanoCpus: 500_000_000,
    Memory: 2 ** 28,
    StorageOpt: { size: '21474836480' },
  },
};

const withHostConfig = (extra: Record<string, unknown>): ContainerCreateBody =>
  ({ ...ok, HostConfig: { ...ok.HostConfig, ...extra } }) as ContainerCreateBody;

describe('windowsSafetyProblems', () => {
  it('passes a Windows body', () => {
    expect(windowsSafetyProblems(ok)).toEqual([]);
    expect(() => assertWindowsSafe(ok)).not.toThrow();
  });

  it.each(LINUX_ONLY_HOST_CONFIG_FIELDS.map((field) => [field]))(
    'flags HostConfig.%s, even empty or false',
    (field) => {
      const empty = [
        'CapAdd',
        'CapDrop',
        'Ulimits',
        'MaskedPaths',
        'ReadonlyPaths',
        'GroupAdd',
        'DeviceRequests',
      ].includes(field)
        ? []
        : ['Privileged', 'ReadonlyRootfs', 'Init', 'OomKillDisable'].includes(field)
          ? false
          : '';
      expect(windowsSafetyProblems(withHostConfig({ [field]: empty }))).toEqual([`HostConfig.${field}`]);
    },
  );

  it.each([
    [{ SecurityOpt: ['seccomp=unconfined'] }, 'HostConfig.SecurityOpt "seccomp=unconfined"'],
    [{ SecurityOpt: ['apparmor=docker-default'] }, 'HostConfig.SecurityOpt "apparmor=docker-default"'],
    [{ SecurityOpt: ['no-new-privileges'] }, 'HostConfig.SecurityOpt "no-new-privileges"'],
    [{ Isolation: undefined }, "HostConfig.Isolation is not 'process' or 'hyperv'"],
    [{ Isolation: 'default' }, "HostConfig.Isolation is not 'process' or 'hyperv'"],
    [{ Mounts: [{ Type: 'tmpfs', Target: 'C:\\tmp' }] }, 'HostConfig.Mounts[0] is a tmpfs mount'],
    [
      {
        Mounts: [{ Type: 'bind', Source: 'C:\\a', Target: 'C:\\a', BindOptions: { Propagation: 'rslave' } }],
      },
      'HostConfig.Mounts[0].BindOptions',
    ],
    [
      { Mounts: [{ Type: 'npipe', Source: '\\\\.\\pipe\\a', Target: '\\\\.\\pipe\\a', ReadOnly: true }] },
      'ReadOnly on a named pipe',
    ],
    [
      { Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }] },
      'HostConfig.Devices "/dev/fuse"',
    ],
    [{ NetworkMode: 'host' }, 'HostConfig.NetworkMode host'],
    [{ Dns: ['10.96.0.10'] }, 'HostConfig.Dns next to NetworkMode container:abc'],
    [
      { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
      'HostConfig.PortBindings next to NetworkMode container:abc',
    ],
    [{ Isolation: 'hyperv' }, "with Hyper-V isolation (Docker cannot share a Hyper-V container's network)"],
  ])('flags %j', (hostConfig, problem) => {
    const problems = windowsSafetyProblems(withHostConfig(hostConfig));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('flags a Hostname next to container networking', () => {
    expect(windowsSafetyProblems({ ...ok, Hostname: 'web' })).toEqual([
      'Hostname next to NetworkMode container:abc',
    ]);
  });

  it('throws INTERNAL listing every problem', () => {
    try {
      assertWindowsSafe(
        withHostConfig({ CapAdd: ['NET_ADMIN'], Sysctls: { 'net.ipv4.ip_forward': '1' }, PidMode: 'host' }),
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CriError);
      expect((err as CriError).kind).toBe('Internal');
      expect((err as CriError).message).toBe(
        'create body for mcr.microsoft.com/windows/servercore:ltsc2022 is not fit for a Windows engine: ' +
          'HostConfig.CapAdd; HostConfig.Sysctls; HostConfig.PidMode',
      );
    }
  });
});
