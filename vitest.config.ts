import { defineConfig } from 'vitest/config';

// Three tiers (docs/architecture.md#tests): unit (pure, fast), contract (real gRPC on a temp
// socket, no Docker), e2e (real dockerd from the rig, crictl, critest). e2e runs one file at a time
// because its files share one engine, registry and host ports.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'contract', include: ['test/contract/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
