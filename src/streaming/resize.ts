/**
 * The resize stream: the client writes a sequence of JSON objects `{"Width":W,"Height":H}` (Go's
 * json.Encoder, so newline-separated, keys capitalised because TerminalSize has no json tags).
 * Upstream decodes with json.Decoder and stops at the first malformed value; so does this.
 */

import type { Readable } from 'node:stream';
import type { TerminalSize } from './runtime.js';

/** Splits a byte stream into top-level JSON values without assuming message boundaries. */
export class JsonValueSplitter {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: string): string[] {
    this.text += chunk;
    const values: string[] = [];
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth < 0) throw new SyntaxError('unbalanced JSON in resize stream');
        if (this.depth === 0) {
          values.push(this.text.slice(this.start, i + 1));
          this.start = -1;
        }
      } else if (this.depth === 0 && c !== undefined && !/\s/.test(c)) {
        throw new SyntaxError(`unexpected ${JSON.stringify(c)} in resize stream`);
      }
    }
    if (this.depth === 0) {
      this.text = '';
      this.scanned = 0;
    } else {
      this.text = this.text.slice(this.start);
      this.start = 0;
      this.scanned = this.text.length;
    }
    return values;
  }
}

function toTerminalSize(json: string): TerminalSize {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SyntaxError('resize value is not an object');
  const record = value as Record<string, unknown>;
  // Go's decoder matches keys case-insensitively; missing fields stay 0.
  const field = (name: string) => {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    const n = key === undefined ? 0 : record[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff)
      throw new SyntaxError(`bad ${name} in resize value`);
    return n;
  };
  return { width: field('width'), height: field('height') };
}

/** Terminal sizes read from a resize stream until it ends, fails or carries malformed JSON. */
export async function* readResizeEvents(source: Readable): AsyncGenerator<TerminalSize> {
  const splitter = new JsonValueSplitter();
  try {
    for await (const chunk of source) {
      const text = typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
      for (const value of splitter.push(text)) yield toTerminalSize(value);
    }
  } catch {
    // Malformed input or a reset stream ends the resize events, as upstream's decoder loop does.
  }
}
