import { defineConfig } from 'vitest/config';

// Benchmarks of the stats module, outside the test projects (docs/performance.md#stats).
export default defineConfig({ test: { benchmark: { include: ['bench/stats-*.bench.ts'] } } });
