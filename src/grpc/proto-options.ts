import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Options } from '@grpc/proto-loader';
import { PACKAGE_ROOT } from '../package-info.js';

/** Absolute path of the CRI v1 proto (runtime.v1), equal to upstream k8s.io/cri-api (proto/VERSION). */
export const CRI_PROTO_PATH = join(PACKAGE_ROOT, 'proto', 'runtime', 'v1', 'api.proto');

/** The one file both this module and scripts/generate-types.sh read the loader options from. */
export const LOADER_OPTIONS_PATH = join(PACKAGE_ROOT, 'proto', 'loader-options.json');

// JSON cannot hold constructors: the file names them ("String", as the generator's flags spell
// them) and this table turns the names into what proto-loader's conversion expects.
const CONVERSION_TYPES: Record<string, unknown> = { String, Number, Array };
const CONVERSION_KEYS = new Set(['longs', 'enums', 'bytes']);
const BOOLEAN_KEYS = new Set(['keepCase', 'defaults', 'arrays', 'objects', 'oneofs', 'json']);

/** Parses proto/loader-options.json; exported so a test can feed it bad input. */
export function parseLoaderOptions(json: string, source = LOADER_OPTIONS_PATH): Options {
  const raw: unknown = JSON.parse(json);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: expected a JSON object`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (BOOLEAN_KEYS.has(key) && typeof value === 'boolean') {
      options[key] = value;
    } else if (CONVERSION_KEYS.has(key) && typeof value === 'string' && value in CONVERSION_TYPES) {
      options[key] = CONVERSION_TYPES[value];
    } else {
      // Anything else would be read differently (or not at all) by proto-loader-gen-types.
      throw new Error(`${source}: unsupported option ${key}=${JSON.stringify(value)}`);
    }
  }
  return options as Options;
}

/**
 * Options for `protoLoader.loadSync(CRI_PROTO_PATH, PROTO_LOADER_OPTIONS)`, identical to the flags
 * src/generated/ was made with: keepCase (snake_case fields as in CRI JSON), longs String (int64
 * nanosecond timestamps exceed 2^53), enums String, defaults, oneofs.
 */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze(
  parseLoaderOptions(readFileSync(LOADER_OPTIONS_PATH, 'utf8')),
);
