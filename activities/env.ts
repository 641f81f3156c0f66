// What every activity module shares, resolved once from the factory's dependencies: the configuration,
// the clock and the log, the archives, and the paths of the registry and the quality rules.
import path from "node:path";
import type { ObservatoryConfig } from "../temporal.config.js";
import { loadRegistry, type SourceEntry } from "../sources/registry.js";
import { Archive } from "./archive.js";
import { defaultFetchSettings, type FetchSettings } from "./fetch.js";
import { LoadedState } from "./loaded-state.js";

export interface ActivityDeps {
  config: ObservatoryConfig;
  /** Project root, for `repo:` URLs and the registry. */
  projectRoot: string;
  /** @default "<projectRoot>/sources/registry.yaml" */
  registryFile?: string;
  /** Unit and range rules for the data-quality checks. @default "<projectRoot>/warehouse/quality-rules.yaml" */
  qualityRulesFile?: string;
  fetchSettings?: Partial<FetchSettings>;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default console.error */
  log?: (message: string) => void;
}

export interface ActivityEnv {
  config: ObservatoryConfig;
  projectRoot: string;
  registryFile: string;
  qualityRulesFile: string;
  taxonomyFile: string;
  fetchSettings: FetchSettings;
  now: () => Date;
  log: (message: string) => void;
  archive: Archive;
  /** The bundled offline snapshot (sources/snapshot/), read-only here. */
  snapshot: Archive;
  loadedState: LoadedState;
  /** The source registry as it is now (read on every call: a registry edit needs no worker restart). */
  registry: () => Promise<SourceEntry[]>;
}

export function resolveEnv(deps: ActivityDeps): ActivityEnv {
  const { config, projectRoot } = deps;
  const registryFile = deps.registryFile ?? path.join(projectRoot, "sources", "registry.yaml");
  return {
    config,
    projectRoot,
    registryFile,
    qualityRulesFile: deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"),
    taxonomyFile: path.join(projectRoot, "sources", "taxonomy.yaml"),
    fetchSettings: { ...defaultFetchSettings, ...deps.fetchSettings },
    now: deps.now ?? (() => new Date()),
    log: deps.log ?? ((m: string) => console.error(m)),
    archive: new Archive(config.paths.archive),
    snapshot: new Archive(config.paths.snapshot),
    loadedState: new LoadedState(config.paths.warehouse),
    registry: () => loadRegistry(registryFile),
  };
}
