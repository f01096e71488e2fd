import type { Config } from '../../config/config.js';
import type { DockerClient } from '../../docker/client.js';
import type { EngineState } from '../../store/engine-state.js';

/** What the runtime service handlers share; built once in main.ts. */
export interface RuntimeDeps {
  config: Config;
  docker: DockerClient;
  engine: EngineState;
  /** wincri's own version, from package.json. */
  version: string;
  /** Names of the configured runtime handlers ("" is the default). */
  runtimeHandlerNames: readonly string[];
  /** Settings kubelet pushes with UpdateRuntimeConfig; kept for the life of the process. */
  runtimeSettings: { podCidr: string };
}
