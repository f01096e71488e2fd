import { describe, expect, it } from 'vitest';

import type { IsolationDecision } from '../../../src/isolation/select.js';
import {
  type WindowsSandboxRef,
  windowsContainerCreateOptions,
  windowsSandboxCreateOptions,
} from '../../../src/platform/windows.js';
import { assertWindowsSafe } from '../../../src/platform/windows-safety.js';
import {
  containerConfig,
  containerSecurity,
  criErrorFrom,
  mount,
  resources,
  sandboxConfig,
  sandboxSecurity,
  ws2022,
} from '../../fixtures/windows/cri-builders.js';

const processPod: IsolationDecision = {
  handler: '',
  resolvedHandler: 'process',
  isolation: 'process',
  reason: 'test',
};
const hyperVPod: IsolationDecision = {
  handler: 'hyperv',
  resolvedHandler: 'hyperv',
  isolation: 'hyperv',
  reason: 'test',
};
const dns = { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] };
const SANDBOX_ID = 'f'.repeat(64);
const processRef: WindowsSandboxRef = { id: SANDBOX_ID, isolation: 'process', podNetworkMode: 'nat' };
const hyperVRef: WindowsSandboxRef = {
  id: SANDBOX_ID,
  isolation: 'hyperv',
  podNetworkMode: 'nat',
  hostname: 'web',
  dnsConfig: dns,
};
const GMSA = JSON.stringify({
  CmsPlugins: ['ActiveDirectory'],
  DomainJoinConfig: {
    Sid: 'S-1-5-21-1',
    MachineAccountName: 'WebApp1',
    Guid: '244818ae-87ac-4fcd-92ec-e79e5252348a',
    DnsTreeName: 'contoso.com',
    DnsName: 'contoso.com',
    NetBiosName: 'CONTOSO',
  },
  ActiveDirectoryConfig: { GroupManagedServiceAccounts: [{ Name: 'WebApp1', Scope: 'contoso.com' }] },
});

describe('windowsSandboxCreateOptions', () => {
  it('gives a process pod sandbox the pod network, hostname and DNS', () => {
    const { body, notes } = windowsSandboxCreateOptions(
      sandboxConfig({ dns_config: dns }),
      ws2022,
      processPod,
      'nat',
    );
    expect(body).toEqual({
      Hostname: 'web',
      HostConfig: {
        Isolation: 'process',
        NetworkMode: 'nat',
        Dns: ['10.96.0.10'],
        DnsSearch: ['default.svc.cluster.local'],
        DnsOptions: ['ndots:5'],
      },
    });
    expect(notes).toEqual([]);
  });

  it('makes a Hyper-V pod sandbox a placeholder without network', () => {
    const { body, notes } = windowsSandboxCreateOptions(
      sandboxConfig({ dns_config: dns }),
      ws2022,
      hyperVPod,
      'nat',
    );
    expect(body).toEqual({ HostConfig: { Isolation: 'hyperv', NetworkMode: 'none' } });
    expect(notes[0]).toContain('Hyper-V pod');
  });

  it('runs the sandbox as the pod user with the pod gMSA, inline', () => {
    const config = sandboxConfig({
      windows: {
        security_context: sandboxSecurity({ run_as_username: 'ContainerUser', credential_spec: GMSA }),
      },
    });
    const { body } = windowsSandboxCreateOptions(config, ws2022, processPod, 'none');
    expect(body.User).toBe('ContainerUser');
    expect(body.HostConfig.SecurityOpt).toEqual([`credentialspec=raw://${GMSA}`]);
  });

  it('ignores the Linux sandbox config the kubelet sends on Windows too', () => {
    const config = sandboxConfig({ linux: { cgroup_parent: '/kubepods', sysctls: { a: 'b' } } as never });
    const { body } = windowsSandboxCreateOptions(config, ws2022, processPod, 'nat');
    expect(() => assertWindowsSafe({ Image: 'pause', ...body })).not.toThrow();
  });

  it.each([
    [sandboxSecurity({ host_process: true }), 'HostProcess container'],
    [
      sandboxSecurity({ namespace_options: { network: 'NODE' } }),
      'host networking (hostNetwork), which Docker does not offer on Windows',
    ],
    [
      sandboxSecurity({ namespace_options: { network: 'CONTAINER' } }),
      'namespace_options.network CONTAINER is not supported',
    ],
    [
      sandboxSecurity({ credential_spec: '{not json' }),
      'credential_spec: the gMSA credential spec is not valid JSON',
    ],
    [sandboxSecurity({ credential_spec: '"WebApp1"' }), 'must be a JSON object'],
  ])('refuses %j with INVALID_ARGUMENT', (security, message) => {
    const err = criErrorFrom(() =>
      windowsSandboxCreateOptions(
        sandboxConfig({ windows: { security_context: security } }),
        ws2022,
        processPod,
        'nat',
      ),
    );
    expect(err.kind).toBe('InvalidArgument');
    expect(err.message).toContain(message);
  });

  it('refuses a decision without a Windows isolation as a wincri bug', () => {
    const linux: IsolationDecision = { handler: '', resolvedHandler: '', isolation: undefined, reason: '' };
    expect(criErrorFrom(() => windowsSandboxCreateOptions(sandboxConfig(), ws2022, linux, 'nat')).kind).toBe(
      'Internal',
    );
  });
});

describe('windowsContainerCreateOptions', () => {
  it("joins a process pod's network compartment, so localhost works between its containers", () => {
    const { body } = windowsContainerCreateOptions(containerConfig(), processRef, ws2022);
    expect(body).toEqual({ HostConfig: { Isolation: 'process', NetworkMode: `container:${SANDBOX_ID}` } });
  });

  it("gives a Hyper-V pod's app container the pod network, hostname and DNS", () => {
    const { body } = windowsContainerCreateOptions(containerConfig(), hyperVRef, ws2022);
    expect(body).toEqual({
      Hostname: 'web',
      HostConfig: {
        Isolation: 'hyperv',
        NetworkMode: 'nat',
        Dns: dns.servers,
        DnsSearch: dns.searches,
        DnsOptions: dns.options,
      },
    });
  });

  it('maps resources, rootfs size, user, gMSA and mounts together', () => {
    const config = containerConfig({
      windows: {
        resources: resources({
          cpu_maximum: '1250',
          memory_limit_in_bytes: '536870912',
          rootfs_size_in_bytes: '32212254720',
        }),
        security_context: containerSecurity({
          run_as_username: 'NT AUTHORITY\\NETWORK SERVICE',
          credential_spec: GMSA,
        }),
      },
      mounts: [
        mount({
          host_path: 'c:\\var\\lib\\kubelet\\pods\\u\\volumes\\cfg',
          container_path: 'c:/config',
          readonly: true,
        }),
      ],
    });
    const { body, notes } = windowsContainerCreateOptions(config, processRef, ws2022);
    expect(body).toEqual({
      User: 'NT AUTHORITY\\NETWORK SERVICE',
      HostConfig: {
        Isolation: 'process',
        NetworkMode: `container:${SANDBOX_ID}`,
        NanoCpus: 500_000_000,
        Memory: 536870912,
        StorageOpt: { size: '32212254720' },
        Mounts: [
          {
            Type: 'bind',
            Source: 'c:\\var\\lib\\kubelet\\pods\\u\\volumes\\cfg',
            Target: 'c:\\config',
            ReadOnly: true,
          },
        ],
        SecurityOpt: [`credentialspec=raw://${GMSA}`],
      },
    });
    expect(notes).toEqual([]);
  });

  it('says which CPU controls lost to the precedence', () => {
    const config = containerConfig({
      windows: { resources: resources({ cpu_count: '2', cpu_maximum: '5000' }), security_context: null },
    });
    const { body, notes } = windowsContainerCreateOptions(config, processRef, ws2022);
    expect(body.HostConfig.CpuCount).toBe(2);
    expect(body.HostConfig.NanoCpus).toBeUndefined();
    expect(notes).toEqual(['cpu_maximum dropped: Windows takes one CPU control and cpu_count comes first']);
  });

  it('assigns Windows device classes to process-isolated containers', () => {
    const gpu = {
      host_path: 'class/5B45201D-F2F2-4F3B-85BB-30FF1F953599',
      container_path: '',
      permissions: '',
    };
    const { body } = windowsContainerCreateOptions(containerConfig({ devices: [gpu] }), processRef, ws2022);
    expect(body.HostConfig.Devices).toEqual([
      { PathOnHost: gpu.host_path, PathInContainer: '', CgroupPermissions: '' },
    ]);
    expect(
      criErrorFrom(() =>
        windowsContainerCreateOptions(containerConfig({ devices: [gpu] }), hyperVRef, ws2022),
      ).message,
    ).toContain('Docker cannot assign devices to Hyper-V isolated containers');
  });

  it.each([
    [
      containerConfig({
        windows: { resources: null, security_context: containerSecurity({ host_process: true }) },
      }),
      'container app asks for a HostProcess container',
    ],
    [
      containerConfig({
        devices: [{ host_path: '/dev/fuse', container_path: '/dev/fuse', permissions: 'rwm' }],
      }),
      'is not a Windows device',
    ],
    [containerConfig({ CDI_devices: [{ name: 'nvidia.com/gpu=0' }] }), 'CDI devices are a Linux feature'],
  ])('refuses %#', (config, message) => {
    const err = criErrorFrom(() => windowsContainerCreateOptions(config, processRef, ws2022));
    expect(err.kind).toBe('InvalidArgument');
    expect(err.message).toContain(message);
  });
});

describe('nothing Linux-only reaches a Windows engine', () => {
  const containers = [
    containerConfig(),
    containerConfig({
      windows: {
        resources: resources({ cpu_shares: '256', memory_limit_in_bytes: '1073741824' }),
        security_context: containerSecurity({
          run_as_username: 'ContainerAdministrator',
          credential_spec: GMSA,
        }),
      },
      mounts: [
        mount({
          host_path: '\\\\.\\pipe\\docker_engine',
          container_path: '\\\\.\\pipe\\docker_engine',
          readonly: true,
        }),
        mount({
          host_path: 'C:\\data',
          container_path: '/data',
          propagation: 'PROPAGATION_HOST_TO_CONTAINER',
          readonly: true,
        }),
      ],
      linux: { resources: null, security_context: null } as never,
    }),
  ];
  const refs = [processRef, hyperVRef, { ...hyperVRef, hostname: undefined, dnsConfig: null }];

  it.each(containers.flatMap((config, i) => refs.map((ref) => [i, ref.isolation, config, ref] as const)))(
    'container %i in a %s pod',
    (_i, _isolation, config, ref) => {
      const { body } = windowsContainerCreateOptions(config, ref, ws2022);
      expect(() =>
        assertWindowsSafe({ Image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022', ...body }),
      ).not.toThrow();
    },
  );

  it.each([processPod, hyperVPod])('a $isolation sandbox', (decision) => {
    const { body } = windowsSandboxCreateOptions(sandboxConfig({ dns_config: dns }), ws2022, decision, 'nat');
    expect(() =>
      assertWindowsSafe({ Image: 'mcr.microsoft.com/oss/kubernetes/pause:3.10', ...body }),
    ).not.toThrow();
  });
});
