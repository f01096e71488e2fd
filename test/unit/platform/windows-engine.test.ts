/**
 * The Windows mapping end to end against the engine double: what the mappers produce is accepted
 * by a Windows engine, and what the selector lets through starts there (and what it refuses is what
 * HCS would have failed with 0xc0370101).
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { ContainerCreateBody } from '../../../src/docker/types.js';
import { WINDOWS_DEFAULT_HANDLERS } from '../../../src/isolation/handlers.js';
import { checkImageForPod, selectIsolation } from '../../../src/isolation/select.js';
import { hostFactsFromEngineInfo } from '../../../src/platform/host-facts.js';
import { windowsContainerCreateOptions, windowsSandboxCreateOptions } from '../../../src/platform/windows.js';
import { assertWindowsSafe } from '../../../src/platform/windows-safety.js';
import { type WindowsProfile, WindowsEngineDouble } from '../../support/windows-engine-double.js';
import {
  containerConfig,
  containerSecurity,
  criErrorFrom,
  mount,
  resources,
  sandboxConfig,
} from '../../fixtures/windows/cri-builders.js';

let engine: WindowsEngineDouble | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function call(method: string, path: string, body?: unknown) {
  const reply = await engine!.call(method, path, body);
  return { status: reply.status, json: (reply.json ?? {}) as Record<string, unknown> };
}

async function run(
  name: string,
  body: ContainerCreateBody,
): Promise<{ id: string; start: number; message?: unknown }> {
  assertWindowsSafe(body);
  const created = await call('POST', `/v1.41/containers/create?name=${name}`, body);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = String(created.json['Id']);
  const started = await call('POST', `/containers/${id}/start`);
  return { id, start: started.status, message: started.json['message'] };
}

async function hostOf(profile: WindowsProfile, images: string[], hyperVAvailable = true) {
  engine = await WindowsEngineDouble.start({ profile, images, hyperVAvailable });
  const info = (await call('GET', '/info')).json;
  return hostFactsFromEngineInfo(
    {
      osType: String(info['OSType']),
      osVersion: String(info['OSVersion']),
      kernelVersion: String(info['KernelVersion']),
      ncpu: Number(info['NCPU']),
      memTotalBytes: Number(info['MemTotal']),
      defaultIsolation: String(info['Isolation']),
      runtimes: Object.keys(info['Runtimes'] as object),
    },
    { hyperVAvailable },
  );
}

const imageOsVersion = async (ref: string) =>
  String((await call('GET', `/images/${encodeURIComponent(ref)}/json`)).json['OsVersion']);

const PAUSE = 'registry.k8s.io/pause:3.10.2';
const APP_2022 = 'mcr.microsoft.com/windows/servercore:ltsc2022';
const APP_2019 = 'mcr.microsoft.com/windows/servercore:ltsc2019';

describe('a process-isolated pod on Windows Server 2022', () => {
  it('runs the sandbox and two containers that share its network', async () => {
    const facts = await hostOf('ws2022', [PAUSE, APP_2022]);
    const decision = selectIsolation({
      runtimeHandler: '',
      table: WINDOWS_DEFAULT_HANDLERS,
      host: facts,
      imageOsVersion: await imageOsVersion(PAUSE),
    });
    const dns = { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: [] };
    const sandbox = windowsSandboxCreateOptions(sandboxConfig({ dns_config: dns }), facts, decision, 'nat');
    const pod = await run('k8s_POD_web', { Image: PAUSE, ...sandbox.body });
    expect(pod.start).toBe(204);

    const ref = { id: pod.id, isolation: decision.isolation!, podNetworkMode: 'nat' };
    for (const name of ['app', 'sidecar']) {
      const config = containerConfig({
        metadata: { name, attempt: 0 },
        windows: {
          resources: resources({ cpu_maximum: '2500', memory_limit_in_bytes: '536870912' }),
          security_context: containerSecurity({ run_as_username: 'ContainerUser' }),
        },
        mounts: [
          mount({
            host_path: 'c:\\var\\lib\\kubelet\\pods\\u\\volumes\\cfg',
            container_path: 'c:/config',
            readonly: true,
          }),
          mount({
            host_path: 'c:\\var\\lib\\kubelet\\pods\\u\\etc-hosts',
            container_path: 'C:\\Windows\\System32\\drivers\\etc\\hosts',
          }),
        ],
      });
      const { body } = windowsContainerCreateOptions(config, ref, facts);
      expect((await run(`k8s_${name}_web`, { Image: APP_2022, ...body })).start).toBe(204);
    }
    const app = engine!.createBody('k8s_app_web');
    expect(app['HostConfig']).toMatchObject({
      Isolation: 'process',
      NetworkMode: `container:${pod.id}`,
      NanoCpus: 1e9,
      Memory: 536870912,
    });
  });

  it('refuses an ltsc2019 image up front where the engine would fail with 0xc0370101', async () => {
    const facts = await hostOf('ws2022', [PAUSE, APP_2019]);
    const err = criErrorFrom(() =>
      selectIsolation({
        runtimeHandler: 'process',
        table: WINDOWS_DEFAULT_HANDLERS,
        host: facts,
        imageOsVersion: '10.0.17763.6414',
      }),
    );
    expect(err.kind).toBe('FailedPrecondition');
    // What the engine says when the check is skipped:
    const bare = await run('raw', { Image: APP_2019, HostConfig: { Isolation: 'process' } });
    expect(bare.start).toBe(500);
    expect(String(bare.message)).toContain('0xc0370101');
  });
});

describe('a Hyper-V pod', () => {
  it.each(['ws2022', 'ws2025'] as const)(
    'runs an ltsc2019 image on %s with the single app container on the pod network',
    async (profile) => {
      const facts = await hostOf(profile, [PAUSE, APP_2019]);
      // RunPodSandbox decides from the sandbox image; CreateContainer checks the app image.
      const decision = selectIsolation({
        runtimeHandler: 'runhcs-wcow-hypervisor',
        table: WINDOWS_DEFAULT_HANDLERS,
        host: facts,
        imageOsVersion: await imageOsVersion(PAUSE),
      });
      expect(decision.isolation).toBe('hyperv');
      checkImageForPod(decision, await imageOsVersion(APP_2019), facts, WINDOWS_DEFAULT_HANDLERS);
      const sandbox = windowsSandboxCreateOptions(sandboxConfig(), facts, decision, 'nat');
      const pod = await run('k8s_POD_legacy', { Image: PAUSE, ...sandbox.body });
      expect(pod.start).toBe(204);
      const { body } = windowsContainerCreateOptions(
        containerConfig(),
        { id: pod.id, isolation: 'hyperv', podNetworkMode: 'nat', hostname: 'legacy' },
        facts,
      );
      const app = await run('k8s_app_legacy', { Image: APP_2019, ...body });
      expect(app.start).toBe(204);
      const inspect = (await call('GET', `/containers/${app.id}/json`)).json;
      expect(
        (inspect['NetworkSettings'] as { Networks: Record<string, { IPAddress: string }> }).Networks['nat']
          ?.IPAddress,
      ).toMatch(/^172\./);
    },
  );

  it('is refused by Docker if a container tried to join its network, which is why wincri never asks', async () => {
    await hostOf('ws2022', [PAUSE]);
    const joined = await call('POST', '/containers/create?name=join', {
      Image: PAUSE,
      HostConfig: { Isolation: 'hyperv', NetworkMode: 'container:abc' },
    });
    expect(joined.status).toBe(400);
  });
});
