import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/package-info.js';

/**
 * Prometheus text format read by the Prometheus Go client's own parser (`expfmt.TextParser`,
 * test/fixtures/metrics/expfmt), so the tests read wincri's /metrics as a scraper does, not
 * through prom-client, which wrote it. The binary is built once per go.sum, under .cache/.
 */
export interface Sample {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'UNTYPED';
  labels: Record<string, string>;
  value: number;
}

const SOURCE = join(PACKAGE_ROOT, 'test', 'fixtures', 'metrics', 'expfmt');

function parserBinary(): string {
  const key = createHash('sha256')
    .update(readFileSync(join(SOURCE, 'go.sum')))
    .update(readFileSync(join(SOURCE, 'main.go')))
    .digest('hex')
    .slice(0, 12);
  const dir = join(PACKAGE_ROOT, '.cache');
  const binary = join(dir, `expfmt-${key}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: SOURCE,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return binary;
}

/** Every sample of the text; throws with the parser's message when the text does not parse. */
export function parseMetrics(text: string): Sample[] {
  const out = execFileSync(parserBinary(), { input: text, encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Sample);
}

/** The value of the one sample named `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
