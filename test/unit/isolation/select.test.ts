import { describe, expect, it } from 'vitest';

import { CriError } from '../../../src/errors.js';
import {
  LINUX_DEFAULT_HANDLERS,
  WINDOWS_DEFAULT_HANDLERS,
  resolveHandlerTable,
} from '../../../src/isolation/handlers.js';
import {
  LEGACY_ISOLATION_ANNOTATION,
  checkImageForPod,
  selectIsolation,
} from '../../../src/isolation/select.js';
import type { HostFacts } from '../../../src/platform/host-facts.js';
import { criErrorFrom } from '../../fixtures/windows/cri-builders.js';

const windowsHost = (build: number, hyperVAvailable: boolean): HostFacts => ({
  os: 'windows',
  osBuild: build,
  osVersion: `10.0.${build}`,
  ncpu: 4,
  memTotalBytes: 16 * 2 ** 30,
  hyperVAvailable,
});
/** The default Windows table on a host of `build`; `image` is an image inspect OsVersion. */
const pick = (runtimeHandler: string, build: number, hyperV: boolean, imageOsVersion?: string) =>
  selectIsolation({
    runtimeHandler,
    table: WINDOWS_DEFAULT_HANDLERS,
    host: windowsHost(build, hyperV),
    ...(imageOsVersion === undefined ? {} : { imageOsVersion }),
  });
const linuxHost: HostFacts = { os: 'linux', ncpu: 8, memTotalBytes: 2 ** 34, hyperVAvailable: false };

/** Thrown error kind, or the isolation chosen. */
function outcome(run: () => { isolation: string | undefined }): string {
  try {
    return String(run().isolation);
  } catch (err) {
    if (err instanceof CriError) return err.kind;
    throw err;
  }
}

// Literal, from Microsoft's matrix: which image builds each host runs process-isolated.
const PROCESS_OK: Record<number, number[]> = {
  17763: [17763],
  20348: [20348],
  22631: [20348, 22631],
  26100: [20348, 22631, 26100],
};
const HOSTS = [17763, 20348, 22631, 26100];
const IMAGES = [14393, 17763, 20348, 22631, 26100];
const HANDLERS = ['process', 'hyperv', 'auto', 'runhcs-wcow-process', 'runhcs-wcow-hypervisor', '', 'gvisor'];

function expected(handler: string, host: number, image: number, hyperV: boolean): string {
  const processOk = PROCESS_OK[host]!.includes(image);
  const hyperVOk = hyperV && image <= host;
  switch (handler) {
    case '': // the default handler is process
    case 'process':
    case 'runhcs-wcow-process':
      return processOk ? 'process' : 'FailedPrecondition';
    case 'hyperv':
    case 'runhcs-wcow-hypervisor':
      return hyperVOk ? 'hyperv' : 'FailedPrecondition';
    case 'auto':
      return processOk ? 'process' : hyperVOk ? 'hyperv' : 'FailedPrecondition';
    default:
      return 'InvalidArgument';
  }
}

const MATRIX = HOSTS.flatMap((host) =>
  IMAGES.flatMap((image) =>
    HANDLERS.flatMap((handler) =>
      [true, false].map((hyperV) => ({
        host,
        image,
        handler,
        hyperV,
        want: expected(handler, host, image, hyperV),
      })),
    ),
  ),
);

describe('selectIsolation on a Windows engine', () => {
  it.each(MATRIX)(
    'host $host, image $image, handler "$handler", Hyper-V $hyperV -> $want',
    ({ host, image, handler, hyperV, want }) => {
      const got = outcome(() => pick(handler, host, hyperV, `10.0.${image}.1000`));
      expect(got).toBe(want);
    },
  );

  it('records who asked for what and why', () => {
    const d = pick('', 26100, true, '10.0.20348.2340');
    expect(d).toEqual({
      handler: '',
      resolvedHandler: 'process',
      isolation: 'process',
      reason:
        'handler "process": process isolation as asked; image build 20348 runs process-isolated on host build 26100',
      hostBuild: 26100,
      imageBuild: 20348,
    });
  });

  it('auto explains a Hyper-V choice', () => {
    const d = pick('auto', 20348, true, '10.0.17763.4851');
    expect(d.isolation).toBe('hyperv');
    expect(d.reason).toContain(
      'auto chose Hyper-V isolation; image build 17763 cannot run process-isolated on host build 20348',
    );
  });

  it('turns the 0xc0370101 mismatch into a message that names both builds and the handler to use', () => {
    const err = criErrorFrom(() => pick('process', 20348, true, '10.0.17763.4851'));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('build 17763 (Windows Server 2019');
    expect(err.message).toContain('this host is 10.0 build 20348 (Windows Server 2022');
    expect(err.message).toContain('0xc0370101');
    expect(err.message).toContain('runtime handler hyperv or runhcs-wcow-hypervisor');
  });

  it('says to install Hyper-V when only Hyper-V could run the image', () => {
    const err = criErrorFrom(() => pick('auto', 20348, false, '10.0.17763.4851'));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('neither process nor Hyper-V isolation can run it here');
    expect(err.message).toContain('install the Hyper-V role');
  });

  it('says an image newer than the host needs another node or variant', () => {
    const err = criErrorFrom(() => pick('hyperv', 20348, true, '10.0.26100.1742'));
    expect(err.message).toContain('Hyper-V isolation cannot run an image newer than the host');
    expect(err.message).toContain('node.kubernetes.io/windows-build');
  });

  it('refuses hyperv on a host without Hyper-V before looking at the image', () => {
    const err = criErrorFrom(() => pick('hyperv', 20348, false));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('Hyper-V is not available on this host');
    expect(err.message).toContain('handler process or runhcs-wcow-process');
  });

  it('a refusal says where the host answer was found, and the remedy fits that source', () => {
    const refuse = (hyperV: HostFacts['hyperV']) =>
      criErrorFrom(() =>
        selectIsolation({
          runtimeHandler: 'hyperv',
          table: WINDOWS_DEFAULT_HANDLERS,
          host: { ...windowsHost(20348, false), ...(hyperV ? { hyperV } : {}) },
        }),
      ).message;
    const features = refuse({
      available: false,
      source: 'Win32_OptionalFeature',
      detail: 'Microsoft-Hyper-V Disabled, Containers Enabled',
    });
    expect(features).toContain(
      '(build 20348; found by Win32_OptionalFeature: Microsoft-Hyper-V Disabled, Containers Enabled)',
    );
    expect(features).toContain('and restart wincri, which finds it at start');
    const config = refuse({
      available: false,
      source: 'config',
      detail: '"hyperVAvailable": false in the wincri config',
    });
    expect(config).toContain(
      'set "hyperVAvailable": true in the wincri config (or remove the key to have it found)',
    );
  });

  it('names the handlers on offer for an unknown handler', () => {
    const err = criErrorFrom(() => pick('runsc', 20348, true));
    expect(err.kind).toBe('InvalidArgument');
    expect(err.message).toBe(
      'unknown runtime handler "runsc": this node offers process, hyperv, auto, runhcs-wcow-process, ' +
        'runhcs-wcow-hypervisor (set the RuntimeClass handler to one of them, or add "runsc" to runtimeHandlers in the wincri config)',
    );
  });

  it.each([
    ['the image declares no os.version', windowsHost(20348, true), ''],
    [
      'the host build is unknown',
      { ...windowsHost(20348, true), osBuild: undefined, osVersion: undefined },
      '10.0.17763.1',
    ],
  ])('runs unchecked when %s, as containerd matches an empty os.version', (why, host, imageOsVersion) => {
    const d = selectIsolation({
      runtimeHandler: 'auto',
      table: WINDOWS_DEFAULT_HANDLERS,
      host,
      imageOsVersion,
    });
    expect(d.isolation).toBe('process');
    expect(d.reason).toContain(why);
  });

  it('follows a configured default and configured aliases', () => {
    const table = resolveHandlerTable('windows', [{ name: 'windows-2019', isolation: 'hyperv' }], 'auto');
    const host = windowsHost(20348, true);
    expect(
      selectIsolation({ runtimeHandler: '', table, host, imageOsVersion: '10.0.17763.1' }),
    ).toMatchObject({
      resolvedHandler: 'auto',
      isolation: 'hyperv',
    });
    expect(selectIsolation({ runtimeHandler: 'windows-2019', table, host }).isolation).toBe('hyperv');
  });

  it('refuses a table for the other engine OS', () => {
    expect(
      criErrorFrom(() =>
        selectIsolation({
          runtimeHandler: '',
          table: LINUX_DEFAULT_HANDLERS,
          host: windowsHost(20348, true),
        }),
      ).kind,
    ).toBe('InvalidArgument');
  });
});

describe('pod annotations', () => {
  const base = {
    table: WINDOWS_DEFAULT_HANDLERS,
    host: windowsHost(20348, true),
    imageOsVersion: '10.0.20348.1',
  };

  it('refuses the removed dockershim Hyper-V annotation rather than silently running process-isolated', () => {
    const err = criErrorFrom(() =>
      selectIsolation({
        ...base,
        runtimeHandler: '',
        annotations: { [LEGACY_ISOLATION_ANNOTATION]: 'hyperv' },
      }),
    );
    expect(err.kind).toBe('InvalidArgument');
    expect(err.message).toContain('removed in Kubernetes 1.21');
    expect(err.message).toContain('RuntimeClass with handler hyperv');
  });

  it('accepts the old annotation when the RuntimeClass already says Hyper-V, and says it is ignored', () => {
    const d = selectIsolation({
      ...base,
      runtimeHandler: 'hyperv',
      annotations: { [LEGACY_ISOLATION_ANNOTATION]: 'hyperv' },
    });
    expect(d.isolation).toBe('hyperv');
    expect(d.reason).toContain('is ignored (RuntimeClass decides)');
  });

  it('notes containerd UVM annotations it cannot pass to Docker', () => {
    const d = selectIsolation({
      ...base,
      runtimeHandler: 'hyperv',
      annotations: { 'io.microsoft.virtualmachine.computetopology.memory.sizeinmb': '2048' },
    });
    expect(d.reason).toContain('io.microsoft.virtualmachine.* annotations');
  });
});

describe('selectIsolation on a Linux engine', () => {
  it.each([
    ['', undefined, ''],
    ['runc', 'runc', 'runc'],
  ])('handler %j -> Runtime %j', (handler, dockerRuntime, resolvedHandler) => {
    const d = selectIsolation({ runtimeHandler: handler, table: LINUX_DEFAULT_HANDLERS, host: linuxHost });
    expect(d.isolation).toBeUndefined();
    expect(d.dockerRuntime).toBe(dockerRuntime);
    expect(d.resolvedHandler).toBe(resolvedHandler);
  });

  it.each(['process', 'hyperv', 'runsc'])('refuses the unknown handler %j', (handler) => {
    expect(
      criErrorFrom(() =>
        selectIsolation({ runtimeHandler: handler, table: LINUX_DEFAULT_HANDLERS, host: linuxHost }),
      ).kind,
    ).toBe('InvalidArgument');
  });

  it('maps a configured handler to its Docker runtime, checking that dockerd knows it', () => {
    const table = resolveHandlerTable('linux', [{ name: 'gvisor', dockerRuntime: 'runsc' }]);
    expect(selectIsolation({ runtimeHandler: 'gvisor', table, host: linuxHost }).dockerRuntime).toBe('runsc');
    const err = criErrorFrom(() =>
      selectIsolation({
        runtimeHandler: 'gvisor',
        table,
        host: { ...linuxHost, dockerRuntimes: ['io.containerd.runc.v2', 'runc'] },
      }),
    );
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(
      'dockerd does not know (docker info Runtimes: io.containerd.runc.v2, runc)',
    );
  });
});

describe('checkImageForPod', () => {
  const host = windowsHost(20348, true);

  it('passes an image the pod isolation can run', () => {
    expect(() =>
      checkImageForPod(
        { isolation: 'process', resolvedHandler: 'process' },
        '10.0.20348.1',
        host,
        WINDOWS_DEFAULT_HANDLERS,
      ),
    ).not.toThrow();
    expect(() =>
      checkImageForPod(
        { isolation: 'hyperv', resolvedHandler: 'hyperv' },
        '10.0.17763.1',
        host,
        WINDOWS_DEFAULT_HANDLERS,
      ),
    ).not.toThrow();
    expect(() =>
      checkImageForPod(
        { isolation: undefined, resolvedHandler: '' },
        '10.0.1.1',
        host,
        WINDOWS_DEFAULT_HANDLERS,
      ),
    ).not.toThrow();
  });

  it('explains that an auto pod keeps the isolation chosen at sandbox time', () => {
    const err = criErrorFrom(() =>
      checkImageForPod(
        { isolation: 'process', resolvedHandler: 'auto' },
        '10.0.17763.1',
        host,
        WINDOWS_DEFAULT_HANDLERS,
      ),
    );
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('auto chose process isolation for this pod when its sandbox was made');
    expect(err.message).toContain('runtime handler hyperv or runhcs-wcow-hypervisor');
  });

  it('refuses an image newer than the host in a Hyper-V pod', () => {
    expect(
      criErrorFrom(() =>
        checkImageForPod(
          { isolation: 'hyperv', resolvedHandler: 'hyperv' },
          '10.0.26100.1',
          host,
          WINDOWS_DEFAULT_HANDLERS,
        ),
      ).kind,
    ).toBe('FailedPrecondition');
  });
});
