import { PassThrough, type Duplex } from 'node:stream';
import type { ExecDetails, ExecOptions } from '../../src/docker/client.js';
import type { ExecSyncRequest__Output } from '../../src/generated/runtime/v1/ExecSyncRequest.js';

/**
 * The exec part of the Docker door, scripted: each command behaves as a test says (output, exit
 * code, a hang until killed, a broken connection). ExecSync's tests and the process killers' share it.
 */
export function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** What a fake command does: its output, exit code, or hang until killed. */
export interface Script {
  stdout?: (string | Buffer)[];
  stderr?: string[];
  exitCode?: number;
  hang?: boolean;
  /** The connection to the engine breaks after the output (the process runs on). */
  breaks?: boolean;
  pid?: number;
}

export interface FakeExec {
  containerId: string;
  options: ExecOptions;
  script: Script;
  details: ExecDetails;
  stream?: PassThrough;
}

/** The exec part of the Docker door; commands behave as `scripts(cmd)` says. */
export class FakeExecDocker {
  readonly execs: FakeExec[] = [];
  constructor(private readonly scripts: (cmd: string[]) => Script) {}

  async execCreate(containerId: string, options: ExecOptions): Promise<string> {
    this.execs.push({
      containerId,
      options,
      script: this.scripts(options.cmd),
      details: { running: false, exitCode: null, pid: 0 },
    });
    return String(this.execs.length - 1);
  }

  async execStart(execId: string): Promise<Duplex> {
    const exec = this.execs[Number(execId)]!;
    const stream = new PassThrough();
    exec.stream = stream;
    exec.details = { running: true, exitCode: null, pid: exec.script.pid ?? 4242 };
    setImmediate(() => {
      for (const out of exec.script.stdout ?? []) stream.write(frame(1, out));
      for (const err of exec.script.stderr ?? []) stream.write(frame(2, err));
      if (exec.script.breaks) {
        stream.destroy(new Error('connection reset'));
        return;
      }
      if (exec.script.hang) return;
      exec.details = { running: false, exitCode: exec.script.exitCode ?? 0, pid: exec.details.pid };
      stream.end();
    });
    return stream;
  }

  async execInspect(execId: string): Promise<ExecDetails> {
    return this.execs[Number(execId)]!.details;
  }

  /** Ends a hanging command as a kill would. */
  killed(pid: number): void {
    for (const exec of this.execs) {
      if (exec.details.pid === pid && exec.details.running) {
        exec.details = { running: false, exitCode: 137, pid };
        exec.stream?.end();
      }
    }
  }
}

/** An ExecSync request for container `abc`. */
export const request = (cmd: string[], timeout = '0'): ExecSyncRequest__Output => ({
  container_id: 'abc',
  cmd,
  timeout,
});
