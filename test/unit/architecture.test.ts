/**
 * The shape of src/, checked on every test run (scripts/test.sh runs the unit project):
 * - no import circle, type-only imports included (a circle of types still ties the files together);
 * - no import that runs up the layers (docs/architecture.md, "Layers and doors");
 * - no file over 400 lines (the SPDY connection and the generated code excepted), and no function
 *   over 80 lines unless a comment on it says why it is long ("Long because ...").
 *
 * The graph comes from TypeScript's own pre-processor (`ts.preProcessFile`), which reads every
 * `import`, `export ... from` and `import()` without compiling: a plain test over the compiler
 * wincri already builds with, rather than a lint plugin with its own resolver and settings.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

/**
 * Each top-level part of src/ and its layer: a file may import only from its own layer or a lower
 * one. Within a layer, parts may use each other (the circle check still applies).
 */
const LAYERS: Record<string, number> = {
  'main.ts': 6,
  'cli.ts': 6,
  'config/': 6,
  'instance-lock.ts': 6,
  'service/': 6,
  // A command of its own (wincri doctor): reads the node through the lower layers.
  'doctor/': 6,
  'grpc/': 5,
  'cri/': 4,
  'store/': 3,
  'platform/': 3,
  'logs/': 3,
  'streaming/': 3,
  'stats/': 3,
  'exec/': 3,
  'network/': 3,
  'isolation/': 2,
  'docker/': 2,
  'errors.ts': 1,
  'concurrency.ts': 1,
  'log.ts': 1,
  // What every layer reports to (Prometheus counters and timings).
  'metrics/': 1,
  'package-info.ts': 1,
  'types/': 1,
  'generated/': 1,
};

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
/** Files allowed over MAX_FILE_LINES: one state machine that reads best whole, and generated code. */
const LONG_FILES = [/^streaming\/spdy\/connection\.ts$/, /^generated\//];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC);
const rel = (path: string) => relative(SRC, path).split('\\').join('/');
const partOf = (path: string) => {
  const [first, ...rest] = rel(path).split('/');
  return rest.length === 0 ? (first as string) : `${first}/`;
};

/** Each file's imports of other files in src/, by absolute path. */
const graph = new Map(
  files.map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
    return [file, targets] as const;
  }),
);

/** Strongly connected components of more than one file (Tarjan), and files importing themselves. */
function circles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(rel(w));
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** Functions, methods and arrow functions longer than MAX_FUNCTION_LINES with no comment saying why. */
function longFunctions(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const commentsOn = (node: ts.Node): string => {
    // A function's comment sits before it, or before the statement or property that holds it.
    let holder: ts.Node = node;
    while (
      holder.parent &&
      (ts.isVariableDeclaration(holder.parent) ||
        ts.isVariableDeclarationList(holder.parent) ||
        ts.isVariableStatement(holder.parent) ||
        ts.isPropertyAssignment(holder.parent) ||
        ts.isPropertyDeclaration(holder.parent) ||
        ts.isExportAssignment(holder.parent))
    )
      holder = holder.parent;
    const ranges = ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? [];
    return ranges.map((r) => text.slice(r.pos, r.end)).join('\n');
  };
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES && !/long because/i.test(commentsOn(node))) {
        const name = (node as ts.FunctionLikeDeclaration).name?.getText(source) ?? '(anonymous)';
        found.push(`${rel(file)}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('src/ shape', () => {
  it('has a layer for every top-level file and folder', () => {
    const parts = [...new Set(files.map(partOf))];
    expect(parts.filter((p) => LAYERS[p] === undefined)).toEqual([]);
  });

  it("names every top-level file and folder in docs/architecture.md's layers picture", () => {
    const doc = readFileSync(resolve(SRC, '../docs/architecture.md'), 'utf8');
    const picture = /## Layers and doors\n+```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const parts = [...new Set(files.map(partOf))];
    expect(parts.filter((p) => !picture.includes(p))).toEqual([]);
  });

  it('has no import circle', () => {
    expect(circles()).toEqual([]);
  });

  it('imports only from its own layer or lower ones', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = LAYERS[partOf(file)] ?? 0;
      for (const target of targets) {
        const to = LAYERS[partOf(target)] ?? 0;
        if (to > from) upward.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines (but the SPDY connection and generated code)`, () => {
    const long = files
      .filter((f) => !LONG_FILES.some((re) => re.test(rel(f))))
      .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines without a comment saying why ("long because")`, () => {
    const long = files.filter((f) => !rel(f).startsWith('generated/')).flatMap(longFunctions);
    expect(long).toEqual([]);
  });
});
