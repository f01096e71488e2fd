import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package-info.js';

const UNIT = join(PACKAGE_ROOT, 'packaging', 'systemd', 'wincri.service');
const text = readFileSync(UNIT, 'utf8');

/** systemd-analyze verify: exit code and everything it said (it reports bad values on stderr, exit 0). */
function verify(path: string): { code: number | null; said: string } {
  const run = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  return { code: run.status, said: `${run.stdout}${run.stderr}`.trim() };
}

const hasAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('packaging/systemd/wincri.service', () => {
  it.runIf(hasAnalyze)('passes systemd-analyze verify without a word', () => {
    expect(verify(UNIT)).toEqual({ code: 0, said: '' });
  });

  it.runIf(hasAnalyze)(
    'wincri.socket passes it too, and listens on the service default --listen path',
    () => {
      const socketUnit = join(PACKAGE_ROOT, 'packaging', 'systemd', 'wincri.socket');
      expect(verify(socketUnit)).toEqual({ code: 0, said: '' });
      const lines = readFileSync(socketUnit, 'utf8').split('\n');
      expect(lines).toContain('ListenStream=/run/wincri/wincri.sock');
      expect(lines).toContain('SocketMode=0660');
      expect(lines).toContain('Accept=no');
    },
  );

  it.runIf(hasAnalyze)('the check can fail: a misspelt restart policy is reported', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'wincri-unit-')), 'wincri.service');
    writeFileSync(broken, text.replace('Restart=always', 'Restart=sometimes'));
    expect(verify(broken).said).toMatch(/restart specifier/);
  });

  it('restarts always, owns the socket directory, starts after Docker and before the kubelet', () => {
    const lines = text.split('\n');
    expect(lines).toContain('Restart=always');
    expect(lines).toContain('RuntimeDirectory=wincri');
    expect(lines.find((l) => l.startsWith('After='))).toMatch(/\bdocker\.service\b/);
    expect(lines.find((l) => l.startsWith('Before='))).toMatch(/\bkubelet\.service\b/);
    expect(lines).toContain('KillSignal=SIGTERM');
  });
});
