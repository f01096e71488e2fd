import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { parseMetrics, sampleValue, type Sample } from '../support/prometheus.js';
import { loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * `--metrics-address` on the rig: a pod lifecycle through crictl, scraped before and after and read
 * with the Prometheus Go client's text parser. Every counter the lifecycle touches moved by exactly
 * what was done.
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;
let url = '';

async function scrape(): Promise<Sample[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({
    dockerHost: rig.dockerHost,
    mirrors: rig.mirrors,
    extra: ['--metrics-address', '127.0.0.1:0'],
  });
  const address = /"address":"(127\.0\.0\.1:\d+)","msg":"metrics served on \/metrics"/.exec(
    wincri.logs(),
  )?.[1];
  if (!address) throw new Error(`no metrics address in the log:\n${wincri.logs()}`);
  url = `http://${address}/metrics`;
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
});

describe('wincri metrics', () => {
  it('is off by default and serves only GET /metrics, on the address given', async () => {
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(404);
  });

  it('after a pull and a pod lifecycle, the counters moved by exactly what was done', async () => {
    const before = await scrape();
    expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
    const pod = await pods.pod('metrics');
    const id = await pods.container(pod, 'sleeper', ['sh', '-c', 'echo hello; sleep 3600']);
    const during = await scrape();
    expect((await pods.run('stop', id)).code).toBe(0);
    expect((await pods.run('rm', id)).code).toBe(0);
    expect((await pods.run('stopp', pod.id)).code).toBe(0);
    expect((await pods.run('rmp', pod.id)).code).toBe(0);
    // A call that fails: the container is gone.
    expect((await pods.run('inspect', id)).code).not.toBe(0);
    const after = await scrape();

    const moved = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    for (const rpc of [
      'PullImage',
      'RunPodSandbox',
      'CreateContainer',
      'StartContainer',
      'StopContainer',
      'RemoveContainer',
      'StopPodSandbox',
      'RemovePodSandbox',
    ]) {
      expect(moved('wincri_grpc_requests_total', { rpc }), rpc).toBe(1);
      expect(moved('wincri_grpc_request_duration_seconds_count', { rpc }), rpc).toBe(1);
    }
    expect(moved('wincri_grpc_errors_total', { rpc: 'ContainerStatus', code: 'NOT_FOUND' })).toBe(1);
    expect(moved('wincri_grpc_errors_total', { rpc: 'RunPodSandbox', code: 'NOT_FOUND' })).toBe(0);
    expect(moved('wincri_image_pulls_total', { result: 'success' })).toBe(1);
    expect(moved('wincri_image_pull_duration_seconds_count')).toBe(1);
    // The sandbox and the container: two engine creates, two starts.
    expect(
      moved('wincri_engine_request_duration_seconds_count', { operation: 'POST /containers/create' }),
    ).toBe(2);
    expect(
      moved('wincri_engine_request_duration_seconds_count', { operation: 'POST /containers/{id}/start' }),
    ).toBe(2);
    // While it ran: one more ready pod and one more running container than before; none after.
    const ready = (s: Sample[]) => sampleValue(s, 'wincri_pods', { state: 'SANDBOX_READY' });
    const running = (s: Sample[]) => sampleValue(s, 'wincri_containers', { state: 'CONTAINER_RUNNING' });
    expect(ready(during) - ready(before)).toBe(1);
    expect(running(during) - running(before)).toBe(1);
    expect(ready(after)).toBe(ready(before));
    expect(running(after)).toBe(running(before));
    // The container's "hello" reached its CRI log file.
    expect(moved('wincri_log_bytes_written_total')).toBeGreaterThan(0);
    expect(sampleValue(after, 'wincri_process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const sample of after) expect(sample.name).toMatch(/^wincri_/);
  });
});
