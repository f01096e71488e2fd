/**
 * The kubelet's own CRI client as a timing tool: bench/kubelet-client/main.go is a loop around
 * k8s.io/cri-client (grpc-go, Go protobuf), the library the kubelet polls a runtime with. The
 * Node client of the other rows adds its own event-loop and GC pauses to every call it times;
 * this one measures wincri from the side that matters on a node.
 */
import { execFile, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const SOURCE = resolve(import.meta.dirname, '../../../bench/kubelet-client');
const BINARY = resolve(import.meta.dirname, '../kubelet-client');

/** Builds the client (Go module proxy or cache); undefined, with the reason printed, without Go. */
export function buildKubeletClient(): string | undefined {
  try {
    execFileSync('go', ['build', '-o', BINARY, '.'], {
      cwd: SOURCE,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
    return BINARY;
  } catch (err) {
    console.error(`kubelet-client not built, its rows are left out: ${(err as Error).message}`);
    return undefined;
  }
}

/** Per-call latencies (ms) of `n` calls after `warmup` untimed ones, `ids` cycled by *Status RPCs. */
export function kubeletClientTimes(
  binary: string,
  endpoint: string,
  rpc: string,
  n: number,
  warmup: number,
  ids: string[] = [],
): Promise<number[]> {
  const args = ['-endpoint', endpoint, '-rpc', rpc, '-n', String(n), '-warmup', String(warmup)];
  if (ids.length) args.push('-id', ids.join(','));
  return new Promise((done, fail) =>
    execFile(binary, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err
        ? fail(new Error(`kubelet-client ${rpc}: ${stderr.trim() || err.message}`))
        : done((JSON.parse(stdout) as { ms: number[] }).ms),
    ),
  );
}
