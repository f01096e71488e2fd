import type { RuntimeStore, StoredObject } from '../store/runtime-store.js';
import type { StatsCollector } from '../stats/collector.js';
import type { StatsPlatform } from '../stats/sample.js';

/**
 * Keeps the stats collector sampling exactly the running sandboxes and containers: at once on
 * every container change the engine reports, and as a sweep every interval (which also covers
 * sandboxes and anything an event stream outage hid). Everything here is in memory.
 */
export function keepCollectorInStep(
  collector: StatsCollector,
  store: RuntimeStore,
  platform: () => StatsPlatform,
  intervalMs: number,
): () => void {
  const sweep = () => syncTracking(collector, store, platform());
  const unsubscribe = store.subscribe(sweep);
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  sweep();
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}

export function syncTracking(collector: StatsCollector, store: RuntimeStore, platform: StatsPlatform): void {
  const running = new Map<string, StoredObject>();
  for (const object of [...store.sandboxes, ...store.containers]) {
    if (object.details.state.running) running.set(object.id, object);
  }
  for (const id of collector.tracked()) if (!running.has(id)) collector.untrack(id);
  for (const [id, object] of running) {
    if (collector.isTracked(id)) continue;
    collector.track(id, {
      platform,
      memoryLimitBytes: BigInt(object.details.hostConfig.resources.Memory ?? 0),
    });
  }
}
