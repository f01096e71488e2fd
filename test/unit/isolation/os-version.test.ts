import { describe, expect, it } from 'vitest';

import {
  describeBuild,
  hyperVIsolationVerdict,
  oldestProcessCompatibleBuild,
  parseWindowsKernelVersion,
  parseWindowsVersion,
  processCompatibleRange,
  processIsolationVerdict,
} from '../../../src/isolation/os-version.js';

const v = (build: number) => ({ major: 10, minor: 0, build });

describe('parseWindowsVersion', () => {
  it.each([
    ['10.0.20348.2340', { major: 10, minor: 0, build: 20348, revision: 2340 }], // image inspect OsVersion
    ['10.0.20348', { major: 10, minor: 0, build: 20348 }], // docker info OSVersion
    [' 10.0.17763.4851 ', { major: 10, minor: 0, build: 17763, revision: 4851 }],
  ])('reads %j', (text, expected) => {
    expect(parseWindowsVersion(text)).toEqual(expected);
  });

  it.each(['', undefined, '22.04', '10.0', '10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)', 'x.y.z'])(
    'refuses %j',
    (text) => {
      expect(parseWindowsVersion(text)).toBeUndefined();
    },
  );
});

describe('parseWindowsKernelVersion', () => {
  it('reads the docker info KernelVersion format, which is not the OSVersion format', () => {
    expect(parseWindowsKernelVersion('10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)')).toEqual(
      v(20348),
    );
    expect(parseWindowsKernelVersion('10.0 26100 (26100.1.amd64fre.ge_release.240331-1435)')).toEqual(
      v(26100),
    );
    expect(parseWindowsKernelVersion('10.0.20348')).toBeUndefined();
    expect(parseWindowsKernelVersion('6.8.0-45-generic')).toBeUndefined();
  });
});

describe('processIsolationVerdict (the hcsshim CheckHostAndContainerCompat rule)', () => {
  // Expected values written out from Microsoft's version-compatibility matrix, not computed.
  it.each([
    [17763, 17763, true],
    [17763, 14393, false],
    [17763, 20348, false],
    [20348, 20348, true],
    [20348, 17763, false],
    [20348, 26100, false],
    [22631, 20348, true], // Windows 11 23H2 runs ltsc2022 images
    [22631, 22631, true],
    [22631, 22621, true],
    [22631, 17763, false],
    [22631, 26100, false],
    [26100, 26100, true],
    [26100, 20348, true], // WS2025 runs ltsc2022 images
    [26100, 22631, true],
    [26100, 17763, false],
    [26200, 26100, true], // a build after WS2025 takes 26100 and newer only
    [26200, 20348, false],
  ])('host %i, image %i -> %s', (host, image, ok) => {
    expect(processIsolationVerdict(v(host), v(image)).ok).toBe(ok);
  });

  it('never accepts another major.minor', () => {
    expect(processIsolationVerdict(v(20348), { major: 6, minor: 3, build: 20348 })).toEqual({
      ok: false,
      why: 'major-minor',
    });
  });

  it('says why', () => {
    expect(processIsolationVerdict(v(20348), v(26100))).toEqual({ ok: false, why: 'newer-than-host' });
    expect(processIsolationVerdict(v(17763), v(14393))).toEqual({ ok: false, why: 'exact-build' });
    expect(processIsolationVerdict(v(26100), v(17763))).toEqual({ ok: false, why: 'too-old' });
  });
});

describe('hyperVIsolationVerdict', () => {
  it.each([
    [20348, 17763, true],
    [20348, 14393, true],
    [20348, 20348, true],
    [20348, 26100, false],
    [17763, 20348, false],
  ])('host %i, image %i -> %s', (host, image, ok) => {
    expect(hyperVIsolationVerdict(v(host), v(image)).ok).toBe(ok);
  });
});

describe('build helpers', () => {
  it.each([
    [20348, 20348],
    [22631, 20348],
    [26100, 20348],
    [26200, 26100],
  ])('host %i runs process-isolated images from %i', (host, oldest) => {
    expect(oldestProcessCompatibleBuild(host)).toBe(oldest);
  });

  it('describes ranges and builds for messages', () => {
    expect(processCompatibleRange(17763)).toBe('exactly 17763');
    expect(processCompatibleRange(20348)).toBe('exactly 20348');
    expect(processCompatibleRange(26100)).toBe('20348 to 26100');
    expect(describeBuild(20348)).toBe('20348 (Windows Server 2022 (ltsc2022))');
    expect(describeBuild(12345)).toBe('12345');
  });
});
