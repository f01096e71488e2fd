// The top-level Dockerfile builds on the rig's private engine with no pull at all (base
// wincri-node-base:20 from scripts/rig/node-base.sh) and the image runs wincri. Measured on the
// rig (2 cores, classic builder): about 30 s from cold, `npm ci` being most of it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadRig } from '../support/rig.js';

const run = promisify(execFile);

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BASE_IMAGE = 'wincri-node-base:20';
const IMAGE = 'wincri-e2e-dockerfile:test';

describe('Dockerfile', () => {
  const rig = loadRig();
  // Debian's client, which matches the 20.10 engine; the classic builder is what the Dockerfile
  // comment promises to work with.
  const docker = (args: string[], timeout = 60_000) =>
    run('/usr/bin/docker', ['-H', rig.dockerHost, ...args], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 64 * 1024 * 1024,
      timeout,
    });

  beforeAll(async () => {
    try {
      await docker(['image', 'inspect', BASE_IMAGE]);
    } catch {
      // Quick and idempotent; makes the test independent of which rig steps were run.
      await run('bash', [join(REPO, 'scripts', 'rig', 'node-base.sh')], { timeout: 120_000 });
    }
    await docker(['build', '-q', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', IMAGE, REPO], 280_000);
  }, 300_000);

  afterAll(async () => {
    await docker(['rmi', '-f', IMAGE]).catch(() => undefined);
    // The classic builder keeps the build stage as an untagged image; it is labelled for this.
    await docker(['image', 'prune', '-f', '--filter', 'label=org.wincri.stage=build']).catch(() => undefined);
  });

  it('runs `wincri version` through its entrypoint', async () => {
    const { stdout } = await docker(['run', '--rm', IMAGE, 'version']);
    expect(stdout).toContain('wincri');
    expect(stdout).toContain('0.1.0');
  });

  it('serves by default', async () => {
    const { stdout } = await docker([
      'image',
      'inspect',
      '-f',
      '{{json .Config.Entrypoint}} {{json .Config.Cmd}}',
      IMAGE,
    ]);
    expect(stdout.trim()).toBe('["node","/app/dist/src/main.js"] ["serve"]');
  });

  it('carries the runtime files and no dev dependencies', async () => {
    const { stdout } = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls package.json proto/runtime/v1/api.proto dist/src/main.js node_modules/@grpc/grpc-js/package.json; ' +
        'ls -d node_modules/typescript node_modules/vitest src 2>/dev/null; true',
    ]);
    expect(stdout.trim().split('\n')).toEqual([
      'dist/src/main.js',
      'node_modules/@grpc/grpc-js/package.json',
      'package.json',
      'proto/runtime/v1/api.proto',
    ]);
  });
});
