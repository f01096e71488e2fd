import { describe, expect, it } from 'vitest';
import { WincriMetrics } from '../../../src/metrics/metrics.js';
import { splitAddress } from '../../../src/metrics/server.js';

/** Every sample as prom-client reports it (the e2e test reads the text with Prometheus' parser). */
interface Sample {
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

async function scrape(metrics: WincriMetrics): Promise<Sample[]> {
  const families = await metrics.registry.getMetricsAsJSON();
  return families.flatMap((family) =>
    (
      family as unknown as { values: { metricName?: string; labels: Sample['labels']; value: number }[] }
    ).values.map((v) => ({ name: v.metricName ?? family.name, labels: v.labels, value: v.value })),
  );
}

function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

describe('WincriMetrics', () => {
  it('counts calls per RPC, errors by gRPC code, and times unary calls', async () => {
    const metrics = new WincriMetrics();
    const version = metrics.forRpc('Version');
    const pull = metrics.forRpc('PullImage');
    version.done(0.0004, 'OK');
    version.done(0.0006, 'OK');
    pull.done(2, 'NOT_FOUND');
    const families = await scrape(metrics);
    expect(sampleValue(families, 'wincri_grpc_requests_total', { rpc: 'Version' })).toBe(2);
    expect(sampleValue(families, 'wincri_grpc_requests_total', { rpc: 'PullImage' })).toBe(1);
    expect(sampleValue(families, 'wincri_grpc_errors_total', { rpc: 'PullImage', code: 'NOT_FOUND' })).toBe(
      1,
    );
    expect(sampleValue(families, 'wincri_grpc_errors_total', { rpc: 'Version', code: 'OK' })).toBe(0);
    const rpc = { rpc: 'Version' };
    expect(sampleValue(families, 'wincri_grpc_request_duration_seconds_count', rpc)).toBe(2);
    expect(sampleValue(families, 'wincri_grpc_request_duration_seconds_sum', rpc)).toBeCloseTo(0.001, 6);
    expect(
      sampleValue(families, 'wincri_grpc_request_duration_seconds_bucket', { ...rpc, le: '0.0005' }),
    ).toBe(1);
  });

  it('a stream counts when it ends but is not timed', async () => {
    const metrics = new WincriMetrics();
    metrics.forRpc('GetContainerEvents').done(-1, 'UNAVAILABLE');
    const families = await scrape(metrics);
    expect(sampleValue(families, 'wincri_grpc_requests_total', { rpc: 'GetContainerEvents' })).toBe(1);
    expect(sampleValue(families, 'wincri_grpc_errors_total', { code: 'UNAVAILABLE' })).toBe(1);
    expect(sampleValue(families, 'wincri_grpc_request_duration_seconds', { rpc: 'GetContainerEvents' })).toBe(
      0,
    );
  });

  it('times engine calls by operation, counts their errors by kind, and counts pulls with their bytes', async () => {
    const metrics = new WincriMetrics();
    metrics.engine.call('GET /containers/{id}/json', 0.003, undefined);
    metrics.engine.call('GET /containers/{id}/json', 0.004, 'NotFound');
    metrics.engine.pull(1.5, 2_000_000, true);
    metrics.engine.pull(0.2, 0, false);
    const families = await scrape(metrics);
    const op = { operation: 'GET /containers/{id}/json' };
    expect(sampleValue(families, 'wincri_engine_request_duration_seconds_count', op)).toBe(2);
    expect(sampleValue(families, 'wincri_engine_errors_total', { ...op, kind: 'NotFound' })).toBe(1);
    expect(sampleValue(families, 'wincri_image_pulls_total', { result: 'success' })).toBe(1);
    expect(sampleValue(families, 'wincri_image_pulls_total', { result: 'failure' })).toBe(1);
    expect(sampleValue(families, 'wincri_image_pull_bytes_total')).toBe(2_000_000);
    expect(sampleValue(families, 'wincri_image_pull_duration_seconds_count')).toBe(2);
  });

  it('adds log bytes and lag', async () => {
    const metrics = new WincriMetrics();
    metrics.logs.written(100, 0.02);
    metrics.logs.written(50, undefined);
    const families = await scrape(metrics);
    expect(sampleValue(families, 'wincri_log_bytes_written_total')).toBe(150);
    expect(sampleValue(families, 'wincri_log_copy_lag_seconds_count')).toBe(1);
  });

  it('reads the store, the streaming server, the event streams and the collector at scrape time', async () => {
    const metrics = new WincriMetrics();
    let running = 2;
    metrics.readFrom({
      objectsByState: () => ({
        pods: { SANDBOX_READY: 1, SANDBOX_NOTREADY: 0 },
        containers: { CONTAINER_RUNNING: running, CONTAINER_EXITED: 1 },
      }),
      streamingSessions: () => 3,
      grpcStreams: () => 1,
      collector: () => ({ lastRoundSeconds: 0.25, sampleAgesSeconds: [1, 4, 2] }),
    });
    let families = await scrape(metrics);
    expect(sampleValue(families, 'wincri_pods', { state: 'SANDBOX_READY' })).toBe(1);
    expect(families.filter((f) => f.name === 'wincri_pods')).toHaveLength(2);
    expect(sampleValue(families, 'wincri_containers', { state: 'CONTAINER_RUNNING' })).toBe(2);
    expect(sampleValue(families, 'wincri_streaming_sessions')).toBe(3);
    expect(sampleValue(families, 'wincri_grpc_streams')).toBe(1);
    expect(sampleValue(families, 'wincri_stats_round_duration_seconds')).toBe(0.25);
    expect(sampleValue(families, 'wincri_stats_sample_age_seconds', { which: 'max' })).toBe(4);
    expect(sampleValue(families, 'wincri_stats_sample_age_seconds', { which: 'min' })).toBe(1);
    running = 0;
    families = await scrape(metrics);
    expect(sampleValue(families, 'wincri_containers', { state: 'CONTAINER_RUNNING' })).toBe(0);
  });

  it('includes the process metrics, and every name has the wincri_ prefix', async () => {
    const families = await new WincriMetrics().registry.getMetricsAsJSON();
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining(['wincri_process_cpu_seconds_total', 'wincri_process_resident_memory_bytes']),
    );
    for (const family of families) expect(family.name).toMatch(/^wincri_/);
  });
});

describe('splitAddress (--metrics-address)', () => {
  it.each([
    ['9101', { host: '127.0.0.1', port: 9101 }],
    ['0.0.0.0:9101', { host: '0.0.0.0', port: 9101 }],
    ['[::1]:9101', { host: '::1', port: 9101 }],
    ['node.local:0', { host: 'node.local', port: 0 }],
  ])('%s', (address, expected) => {
    expect(splitAddress(address)).toEqual(expected);
  });

  it.each(['', 'http://x:1', ':9101', '1.2.3.4:99999', 'host'])(
    'refuses %j and says how to write it',
    (address) => {
      expect(() => splitAddress(address)).toThrow(/write a port \(loopback\) or host:port/);
    },
  );
});
