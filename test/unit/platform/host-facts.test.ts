import { describe, expect, it } from 'vitest';

import { type EngineHostInfo, hostFactsFromEngineInfo } from '../../../src/platform/host-facts.js';

const ws2022: EngineHostInfo = {
  osType: 'windows',
  osVersion: '10.0.20348',
  kernelVersion: '10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)',
  ncpu: 8,
  memTotalBytes: 34359738368,
  defaultIsolation: 'process',
  runtimes: [],
};

describe('hostFactsFromEngineInfo', () => {
  it('reads the Windows build from OSVersion', () => {
    expect(hostFactsFromEngineInfo(ws2022)).toEqual({
      os: 'windows',
      osBuild: 20348,
      osVersion: '10.0.20348',
      ncpu: 8,
      memTotalBytes: 34359738368,
      hyperVAvailable: false,
      hyperV: {
        available: false,
        source: 'engine',
        detail: "the engine's default isolation is process (GET /info Isolation)",
      },
    });
  });

  it('falls back to the KernelVersion format when OSVersion is missing', () => {
    const facts = hostFactsFromEngineInfo({
      ...ws2022,
      osVersion: '',
      kernelVersion: '10.0 26100 (26100.1.amd64fre.ge_release.240331-1435)',
    });
    expect(facts.osBuild).toBe(26100);
    expect(facts.osVersion).toBe('10.0.26100');
  });

  it('leaves the build unknown when neither field parses', () => {
    const facts = hostFactsFromEngineInfo({ ...ws2022, osVersion: '', kernelVersion: '' });
    expect(facts.osBuild).toBeUndefined();
    expect(facts.osVersion).toBeUndefined();
  });

  it('takes Hyper-V from config, else from a hyperv daemon default', () => {
    expect(hostFactsFromEngineInfo(ws2022, { hyperVAvailable: true }).hyperVAvailable).toBe(true);
    expect(hostFactsFromEngineInfo({ ...ws2022, defaultIsolation: 'hyperv' }).hyperVAvailable).toBe(true);
    expect(
      hostFactsFromEngineInfo({ ...ws2022, defaultIsolation: 'hyperv' }, { hyperVAvailable: false })
        .hyperVAvailable,
    ).toBe(false);
  });

  it('carries where the Hyper-V answer came from: the host features when read', () => {
    const features = { hyperV: 'Enabled', containers: 'Enabled' } as const;
    expect(hostFactsFromEngineInfo(ws2022, { windowsFeatures: features })).toMatchObject({
      hyperVAvailable: true,
      hyperV: { source: 'Win32_OptionalFeature', detail: 'Microsoft-Hyper-V Enabled, Containers Enabled' },
    });
  });

  it('never reads a build on Linux, where OSVersion is the distribution version', () => {
    expect(
      hostFactsFromEngineInfo({
        osType: 'linux',
        osVersion: '12',
        kernelVersion: '6.1.0-18-amd64',
        ncpu: 4,
        memTotalBytes: 8e9,
        defaultIsolation: '',
        runtimes: ['runc', 'io.containerd.runc.v2'],
      }),
    ).toEqual({
      os: 'linux',
      ncpu: 4,
      memTotalBytes: 8e9,
      hyperVAvailable: false,
      dockerRuntimes: ['io.containerd.runc.v2', 'runc'],
    });
  });
});
