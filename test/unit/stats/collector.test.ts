import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DockerStatsJson } from '../../../src/docker/stats-types.js';
import { notFound } from '../../../src/errors.js';
import { StatsCollector } from '../../../src/stats/collector.js';
import type {
  CollectorOptions,
  StatsLogger,
  StatsSource,
  TrackMeta,
} from '../../../src/stats/collector-options.js';
import { fixture } from '../../support/stats-fixtures.js';

const S = 1_000_000_000n;
const LINUX: TrackMeta = { platform: 'linux' };

/** A Linux stats body read at `second` (Unix seconds) with `cpuSeconds` of CPU used. */
function linuxJson(second: number, cpuSeconds: number): DockerStatsJson {
  return {
    read: new Date(second * 1000).toISOString(),
    cpu_stats: { cpu_usage: { total_usage: cpuSeconds * 1e9 } },
    memory_stats: { usage: 1000, stats: { anon: 1000 } },
  };
}

interface Call {
  id: string;
  signal: AbortSignal;
  resolve: (json: DockerStatsJson) => void;
  reject: (err: unknown) => void;
  settled: boolean;
}

/** A source whose answers the test gives by hand, or `auto` answers at once. */
class FakeSource implements StatsSource {
  readonly calls: Call[] = [];
  auto?: (id: string, n: number) => DockerStatsJson | Error | 'hang';
  private pendingNow = 0;
  maxPending = 0;

  containerStats(id: string, signal: AbortSignal): Promise<DockerStatsJson> {
    return new Promise<DockerStatsJson>((resolve, reject) => {
      const call: Call = {
        id,
        signal,
        settled: false,
        resolve: (json) => {
          if (call.settled) return;
          call.settled = true;
          this.pendingNow--;
          resolve(json);
        },
        reject: (err) => {
          if (call.settled) return;
          call.settled = true;
          this.pendingNow--;
          reject(err);
        },
      };
      this.calls.push(call);
      this.pendingNow++;
      this.maxPending = Math.max(this.maxPending, this.pendingNow);
      const answer = this.auto?.(id, this.callsFor(id).length);
      if (answer === undefined || answer === 'hang') return;
      if (answer instanceof Error) call.reject(answer);
      else call.resolve(answer);
    });
  }

  callsFor(id: string): Call[] {
    return this.calls.filter((c) => c.id === id);
  }

  pending(): Call[] {
    return this.calls.filter((c) => !c.settled);
  }
}

function logger() {
  const entries: { level: 'debug' | 'warn'; obj: Record<string, unknown>; msg: string }[] = [];
  const log: StatsLogger = {
    debug: (obj, msg) => entries.push({ level: 'debug', obj, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
  };
  return { log, entries };
}

/** Timers that call the (faked) globals at call time. */
const timers: CollectorOptions['timers'] = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function setup(options: Partial<CollectorOptions> = {}) {
  const source = new FakeSource();
  const { log, entries } = logger();
  const collector = new StatsCollector({
    source,
    logger: log,
    intervalMs: 10_000,
    concurrency: 4,
    callTimeoutMs: 2_000,
    timers,
    now: () => 42,
    ...options,
  });
  return { source, collector, entries };
}

/** Lets settled promises run their handlers. */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('StatsCollector scheduling', () => {
  it('samples a newly tracked container at once, not an interval later', async () => {
    const { source, collector } = setup();
    source.auto = (_id, n) => linuxJson(1000 + n, n);
    collector.start();
    collector.track('a', LINUX);
    await flush();
    expect(source.callsFor('a')).toHaveLength(1);
    expect(collector.latest('a')?.timestampNs).toBe(1001n * S);
    collector.stop();
  });

  it('samples containers tracked before start when it starts, then every interval', async () => {
    const { source, collector } = setup();
    source.auto = (_id, n) => linuxJson(1000 + 10 * n, 5 * n);
    collector.track('a', LINUX);
    await flush();
    expect(source.calls).toHaveLength(0);
    collector.start();
    await flush();
    expect(source.callsFor('a')).toHaveLength(1);
    expect(collector.rate('a')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(source.callsFor('a')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.callsFor('a')).toHaveLength(2);
    // 5 s of CPU in 10 s: half a core.
    expect(collector.rate('a')).toBe(S / 2n);
    expect(collector.snapshot('a')).toMatchObject({
      previous: { timestampNs: 1010n * S },
      latest: { timestampNs: 1020n * S },
      receivedAtMs: 42,
    });
    collector.stop();
  });

  it('keeps at most `concurrency` calls in flight and gets to every container', async () => {
    const { source, collector } = setup({ concurrency: 4 });
    for (let i = 0; i < 10; i++) collector.track(`c${i}`, LINUX);
    collector.start();
    await flush();
    expect(source.pending()).toHaveLength(4);
    while (source.pending().length > 0) {
      expect(source.pending().length).toBeLessThanOrEqual(4);
      source.pending()[0]?.resolve(linuxJson(1000, 1));
      await flush();
    }
    expect(source.maxPending).toBe(4);
    expect(new Set(source.calls.map((c) => c.id)).size).toBe(10);
    for (let i = 0; i < 10; i++) expect(collector.latest(`c${i}`)).toBeDefined();
    collector.stop();
  });

  it('a hanging container does not block the others: its call times out and frees the slot', async () => {
    const { source, collector, entries } = setup({ concurrency: 1, callTimeoutMs: 2_000 });
    source.auto = (id) => (id === 'stuck' ? 'hang' : linuxJson(1000, 1));
    collector.track('stuck', LINUX);
    collector.track('ok1', LINUX);
    collector.track('ok2', LINUX);
    collector.start();
    await flush();
    expect(source.calls.map((c) => c.id)).toEqual(['stuck']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(source.calls.map((c) => c.id)).toEqual(['stuck', 'ok1', 'ok2']);
    expect(collector.latest('ok1')).toBeDefined();
    expect(collector.latest('ok2')).toBeDefined();
    expect(collector.latest('stuck')).toBeUndefined();
    expect(source.callsFor('stuck')[0]?.signal.aborted).toBe(true);
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'stats call timed out',
        obj: expect.objectContaining({ containerId: 'stuck' }),
      }),
    );
    // A late answer of the timed-out call is dropped.
    source.callsFor('stuck')[0]?.resolve(linuxJson(999, 1));
    await flush();
    expect(collector.latest('stuck')).toBeUndefined();
    collector.stop();
  });

  it('does not pile calls on a container whose call is still in flight', async () => {
    const { source, collector } = setup({ callTimeoutMs: 60_000 });
    source.auto = (id) => (id === 'slow' ? 'hang' : linuxJson(1000, 1));
    collector.track('slow', LINUX);
    collector.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(source.callsFor('slow')).toHaveLength(1);
    collector.stop();
  });

  it('untrack stops sampling, forgets the data and drops the answer in flight', async () => {
    const { source, collector } = setup();
    source.auto = (id, n) => (id === 'gone' && n > 1 ? 'hang' : linuxJson(1000 + n, n));
    collector.track('gone', LINUX);
    collector.track('kept', LINUX);
    collector.start();
    await flush();
    expect(collector.latest('gone')).toBeDefined();
    await vi.advanceTimersByTimeAsync(10_000);
    const inFlight = source.callsFor('gone')[1];
    expect(inFlight?.settled).toBe(false);
    collector.untrack('gone');
    expect(inFlight?.signal.aborted).toBe(true);
    expect(collector.latest('gone')).toBeUndefined();
    expect(collector.isTracked('gone')).toBe(false);
    inFlight?.resolve(linuxJson(5000, 50));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(collector.latest('gone')).toBeUndefined();
    expect(source.callsFor('gone')).toHaveLength(2);
    expect(source.callsFor('kept')).toHaveLength(5);
    expect(collector.tracked()).toEqual(['kept']);
    collector.stop();
  });

  it('re-tracking an id while its old call is in flight takes only the new answer', async () => {
    const { source, collector } = setup();
    collector.track('a', LINUX);
    collector.start();
    await flush();
    const old = source.callsFor('a')[0];
    collector.untrack('a');
    collector.track('a', LINUX);
    await flush();
    const fresh = source.callsFor('a')[1];
    old?.resolve(linuxJson(1, 1));
    fresh?.resolve(linuxJson(2000, 2));
    await flush();
    expect(collector.latest('a')?.timestampNs).toBe(2000n * S);
    collector.stop();
  });

  it('stop ends the schedule and aborts calls in flight; what was read stays readable', async () => {
    const { source, collector } = setup();
    source.auto = (_id, n) => (n === 1 ? linuxJson(1000, 1) : 'hang');
    collector.track('a', LINUX);
    collector.start();
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    const second = source.callsFor('a')[1];
    collector.stop();
    expect(second?.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(source.calls).toHaveLength(2);
    expect(collector.latest('a')?.timestampNs).toBe(1000n * S);
  });
});

describe('StatsCollector failures', () => {
  it('a container the engine no longer knows (missed destroy event) is forgotten', async () => {
    const { source, collector } = setup();
    source.auto = (id, n) => (n === 1 ? linuxJson(1000, 1) : notFound(`No such container: ${id}`));
    collector.track('a', LINUX);
    collector.start();
    await flush();
    expect(collector.latest('a')).toBeDefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collector.isTracked('a')).toBe(false);
    expect(collector.latest('a')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(source.callsFor('a')).toHaveLength(2);
    collector.stop();
  });

  it.each([
    { name: 'vanished (NotFound)', error: notFound('No such container: a'), level: 'debug' },
    { name: 'engine error', error: new Error('connection reset'), level: 'warn' },
  ])(
    '$name is logged at $level, never thrown, and other containers are untouched',
    async ({ error, level }) => {
      const { source, collector, entries } = setup();
      source.auto = (id) => (id === 'bad' ? error : linuxJson(1000, 1));
      collector.track('bad', LINUX);
      collector.track('good', LINUX);
      collector.start();
      await flush();
      expect(collector.latest('bad')).toBeUndefined();
      expect(collector.latest('good')?.cpu.usageCoreNanoSeconds).toBe(S);
      expect(entries.filter((e) => e.obj.containerId === 'bad').map((e) => e.level)).toEqual([level]);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(collector.latest('good')).toBeDefined();
      collector.stop();
    },
  );

  it('warns once per failure streak, then only debug, and notes the recovery', async () => {
    const { source, collector, entries } = setup();
    source.auto = (_id, n) => (n <= 3 ? new Error('boom') : linuxJson(1000 + n, n));
    collector.track('a', LINUX);
    collector.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(entries.map((e) => `${e.level}:${e.msg}`)).toEqual([
      'warn:stats call failed',
      'debug:stats call failed',
      'debug:stats call failed',
      'debug:stats readable again',
    ]);
    expect(collector.latest('a')).toBeDefined();
    collector.stop();
  });

  it('empty stats (a stopped container) keep the last reading and are not an error', async () => {
    const { source, collector, entries } = setup();
    source.auto = (_id, n) => (n === 1 ? linuxJson(1000, 1) : fixture('linux-stopped'));
    collector.track('a', LINUX);
    collector.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collector.latest('a')?.timestampNs).toBe(1000n * S);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'empty stats: container not running' }),
    ]);
    collector.stop();
  });

  it('a body the mappers cannot read is logged as a failure', async () => {
    const { source, collector, entries } = setup();
    source.auto = () =>
      ({
        read: '2025-01-01T00:00:00Z',
        blkio_stats: { io_service_bytes_recursive: 5 },
      }) as unknown as DockerStatsJson;
    collector.track('a', LINUX);
    collector.start();
    await flush();
    expect(entries.map((e) => e.level)).toEqual(['warn']);
    collector.stop();
  });

  it('the same reading twice is kept once (no Δt = 0 rate)', async () => {
    const { source, collector } = setup();
    source.auto = (_id, n) => (n <= 2 ? linuxJson(1000, 1) : linuxJson(1010, 6));
    collector.track('a', LINUX);
    collector.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collector.snapshot('a')?.previous).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collector.rate('a')).toBe(S / 2n);
    collector.stop();
  });

  it('a counter reset gives no rate, and the monotonic view keeps growing', async () => {
    const { source, collector } = setup();
    const readings = [linuxJson(1000, 50), linuxJson(1010, 60), linuxJson(1020, 2)];
    source.auto = (_id, n) => readings[n - 1] ?? 'hang';
    collector.track('a', LINUX);
    collector.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(collector.latest('a')?.cpu.usageCoreNanoSeconds).toBe(2n * S);
    expect(collector.rate('a')).toBeUndefined();
    expect(collector.monotonic('a')?.cpu.usageCoreNanoSeconds).toBe(62n * S);
    collector.stop();
  });
});

describe('StatsCollector platforms', () => {
  it('maps Windows containers with the Windows mapper and the limit given at track', async () => {
    const { source, collector } = setup();
    source.auto = () => fixture('windows-process');
    collector.track('w', { platform: 'windows', memoryLimitBytes: 100_000_000n });
    collector.start();
    await flush();
    const latest = collector.latest('w');
    expect(latest?.platform).toBe('windows');
    expect(latest?.cpu.usageCoreNanoSeconds).toBe(3512345600n);
    expect(latest?.memory.availableBytes).toBe(100_000_000n - 45678592n);
    // One Windows reading with the engine's precpu: a rate at once.
    expect(collector.rate('w')).toBe(99580864n);
    expect(latest?.processCount).toBeUndefined();
    collector.stop();
  });

  it('counts Windows processes through /top only when asked', async () => {
    const { source, collector } = setup({ countWindowsProcesses: true });
    const top = vi.fn(() => Promise.resolve(3));
    Object.assign(source, { containerProcessCount: top });
    source.auto = (id) => (id === 'l' ? linuxJson(1000, 1) : fixture('windows-hyperv'));
    collector.track('w', { platform: 'windows' });
    collector.track('l', LINUX);
    collector.start();
    await flush();
    expect(collector.latest('w')?.processCount).toBe(3);
    expect(top).toHaveBeenCalledTimes(1);
    expect(top).toHaveBeenCalledWith('w', expect.any(AbortSignal));
    collector.stop();
  });

  it('a failing process count keeps the stats', async () => {
    const { source, collector, entries } = setup({ countWindowsProcesses: true });
    Object.assign(source, { containerProcessCount: () => Promise.reject(new Error('top failed')) });
    source.auto = () => fixture('windows-hyperv');
    collector.track('w', { platform: 'windows' });
    collector.start();
    await flush();
    expect(collector.latest('w')?.cpu.usageCoreNanoSeconds).toBe(5200000000n);
    expect(collector.latest('w')?.processCount).toBeUndefined();
    expect(entries.map((e) => e.level)).toEqual(['debug']);
    collector.stop();
  });

  it('track again updates the meta used by later samples', async () => {
    const { source, collector } = setup();
    source.auto = (_id, n) => ({
      ...linuxJson(1000 + n, n),
      memory_stats: { usage: 100, stats: { anon: 100 } },
    });
    collector.track('a', { platform: 'linux', memoryLimitBytes: 1000n });
    collector.start();
    await flush();
    expect(collector.latest('a')?.memory.availableBytes).toBe(900n);
    collector.track('a', { platform: 'linux', memoryLimitBytes: 500n });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collector.latest('a')?.memory.availableBytes).toBe(400n);
    expect(source.callsFor('a')).toHaveLength(2);
    collector.stop();
  });
});

describe('StatsCollector refresh (a request asks for fresh readings)', () => {
  /** A collector whose clock is the faked one, so ages move with the timers. */
  const clocked = (options: Partial<CollectorOptions> = {}) => setup({ now: () => Date.now(), ...options });

  /** Whether `request` has resolved once settled promises ran, with no time passing. */
  async function answeredAtOnce(request: Promise<void>): Promise<boolean> {
    let done = false;
    void request.then(() => (done = true));
    await flush();
    return done;
  }

  it('gives a reading no request has had at once, however old, and reads it again behind the answer', async () => {
    const { source, collector } = clocked({ refreshAfterMs: 500 });
    collector.track('a', LINUX);
    collector.start();
    await flush();
    source.pending()[0]?.resolve(linuxJson(1001, 1));
    await vi.advanceTimersByTimeAsync(9_000);
    expect(await answeredAtOnce(collector.refresh(['a']))).toBe(true);
    expect(collector.latest('a')?.timestampNs).toBe(1001n * S);
    // The re-read behind the answer: the next request gets a newer reading, still without waiting.
    expect(source.pending().map((c) => c.id)).toEqual(['a']);
    source.pending()[0]?.resolve(linuxJson(1010, 2));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await answeredAtOnce(collector.refresh(['a']))).toBe(true);
    expect(collector.latest('a')?.timestampNs).toBe(1010n * S);
    collector.stop();
  });

  it("crictl's second sample: a reading given refreshAfterMs ago is read again and waited for", async () => {
    const { source, collector } = clocked({ refreshAfterMs: 500 });
    collector.track('a', LINUX);
    collector.start();
    await flush();
    source.pending()[0]?.resolve(linuxJson(1000, 1));
    await vi.advanceTimersByTimeAsync(100);
    // First sample: a young reading, given at once and not re-read.
    expect(await answeredAtOnce(collector.refresh(['a']))).toBe(true);
    expect(source.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    // Second sample, a second later: nothing new to give, so it waits for a read.
    const second = collector.refresh(['a']);
    expect(await answeredAtOnce(second)).toBe(false);
    expect(source.pending().map((c) => c.id)).toEqual(['a']);
    source.pending()[0]?.resolve(linuxJson(1001, 2));
    await second;
    expect(collector.latest('a')?.timestampNs).toBe(1001n * S);
    collector.stop();
  });

  it("the kubelet's cadence never waits: every 10 s, container and pod stats together, between rounds", async () => {
    const { source, collector } = clocked({ intervalMs: 10_000 });
    collector.track('a', LINUX);
    collector.start();
    await flush();
    let second = 1000;
    const answerPending = () => {
      for (const call of source.pending()) call.resolve(linuxJson(++second, second));
    };
    answerPending();
    await vi.advanceTimersByTimeAsync(3_000);
    for (let poll = 0; poll < 4; poll++) {
      expect(await answeredAtOnce(collector.refresh(['a']))).toBe(true);
      expect(await answeredAtOnce(collector.refresh(['a']))).toBe(true);
      answerPending();
      await vi.advanceTimersByTimeAsync(10_000);
      answerPending();
    }
    collector.stop();
  });

  it('leaves a reading younger than refreshAfterMs, and ignores ids it does not track', async () => {
    const { source, collector } = clocked({ refreshAfterMs: 500 });
    source.auto = (_id, n) => linuxJson(1000 + n, n);
    collector.track('a', LINUX);
    collector.start();
    await flush();
    await vi.advanceTimersByTimeAsync(499);
    await collector.refresh(['a', 'unknown']);
    expect(source.callsFor('a')).toHaveLength(1);
    expect(source.callsFor('unknown')).toHaveLength(0);
    collector.stop();
  });

  it('concurrent requests share one read per container', async () => {
    const { source, collector } = clocked();
    collector.track('a', LINUX);
    collector.track('b', LINUX);
    collector.start();
    await flush();
    for (const call of source.pending()) call.resolve(linuxJson(1000, 1));
    await collector.refresh(['a', 'b']);
    await vi.advanceTimersByTimeAsync(2_000);
    let answered = 0;
    const first = collector.refresh(['a', 'b']).then(() => answered++);
    const second = collector.refresh(['a']).then(() => answered++);
    await flush();
    expect(source.pending().map((c) => c.id)).toEqual(['a', 'b']);
    expect(answered).toBe(0);
    for (const call of source.pending()) call.resolve(linuxJson(1002, 2));
    await Promise.all([first, second]);
    expect(answered).toBe(2);
    expect(source.calls).toHaveLength(4);
    expect(collector.latest('a')?.timestampNs).toBe(1002n * S);
    collector.stop();
  });

  it('a request waits for a read already in flight instead of starting another', async () => {
    const { source, collector } = clocked();
    collector.track('a', LINUX);
    collector.start();
    await flush();
    expect(source.pending()).toHaveLength(1);
    let done = false;
    const request = collector.refresh(['a']).then(() => (done = true));
    await flush();
    expect(source.calls).toHaveLength(1);
    expect(done).toBe(false);
    source.pending()[0]?.resolve(linuxJson(1000, 1));
    await request;
    expect(collector.latest('a')).toBeDefined();
    collector.stop();
  });

  it('goes ahead of the round, within the concurrency limit', async () => {
    const { source, collector } = clocked({ concurrency: 1 });
    for (const id of ['a', 'b', 'c']) collector.track(id, LINUX);
    collector.start();
    await flush();
    expect(source.pending().map((c) => c.id)).toEqual(['a']);
    const request = collector.refresh(['c']);
    source.pending()[0]?.resolve(linuxJson(1000, 1));
    await flush();
    expect(source.pending().map((c) => c.id)).toEqual(['c']);
    source.pending()[0]?.resolve(linuxJson(1000, 1));
    await request;
    expect(source.pending().map((c) => c.id)).toEqual(['b']);
    collector.stop();
  });

  it('waits at most refreshWaitMs for a read that hangs, then answers with what it has', async () => {
    const { source, collector } = clocked({ refreshWaitMs: 1_500, callTimeoutMs: 5_000 });
    collector.track('a', LINUX);
    collector.start();
    await flush();
    source.pending()[0]?.resolve(linuxJson(1000, 1));
    await collector.refresh(['a']);
    await vi.advanceTimersByTimeAsync(1_000);
    source.auto = () => 'hang';
    let done = false;
    const request = collector.refresh(['a']).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await request;
    expect(collector.latest('a')?.timestampNs).toBe(1000n * S);
    collector.stop();
  });

  it('a failed read ends the wait too, keeping the last reading', async () => {
    const { source, collector } = clocked();
    source.auto = (_id, n) => (n === 1 ? linuxJson(1000, 1) : new Error('engine said no'));
    collector.track('a', LINUX);
    collector.start();
    await flush();
    await collector.refresh(['a']);
    await vi.advanceTimersByTimeAsync(1_000);
    const before = performance.now();
    await collector.refresh(['a']);
    expect(performance.now() - before).toBeLessThan(1_500);
    expect(collector.latest('a')?.timestampNs).toBe(1000n * S);
    collector.stop();
  });

  it('the next round skips a container read on request less than half an interval ago', async () => {
    const { source, collector } = clocked({ intervalMs: 10_000 });
    source.auto = (_id, n) => linuxJson(1000 + n, n);
    collector.track('a', LINUX);
    collector.track('b', LINUX);
    collector.start();
    await flush();
    await vi.advanceTimersByTimeAsync(8_000);
    await collector.refresh(['a']);
    await vi.advanceTimersByTimeAsync(2_000);
    // Round at 10 s: 'a' was read on request 2 s ago; 'b' is read.
    expect(source.callsFor('a')).toHaveLength(2);
    expect(source.callsFor('b')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.callsFor('a')).toHaveLength(3);
    collector.stop();
  });

  it('answers at once when stopped, and stop wakes a waiting request', async () => {
    const { source, collector } = clocked();
    collector.track('a', LINUX);
    await collector.refresh(['a']);
    expect(source.calls).toHaveLength(0);
    collector.start();
    await flush();
    const request = collector.refresh(['a']);
    collector.stop();
    await request;
  });
});

describe('StatsCollector options', () => {
  it.each([
    { intervalMs: 0 },
    { concurrency: 0 },
    { callTimeoutMs: -1 },
    { intervalMs: 1.5 },
    { refreshAfterMs: 0 },
    { refreshWaitMs: -5 },
  ])('rejects %o', (bad) => {
    expect(() => setup(bad)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  });
});

describe('StatsLogger', () => {
  it('a pino logger is one', () => {
    const log: StatsLogger = pino({ level: 'silent' });
    expect(() => log.warn({ containerId: 'x' }, 'm')).not.toThrow();
  });
});
