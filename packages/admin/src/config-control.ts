/** The config a running instance serves: which file, its content hash, and when it was loaded. */
export interface LoadedConfig {
  readonly file: string;
  /** sha256 (hex) of the file's bytes as read: compare with `sha256sum FILE`. */
  readonly hash: string;
  /** RFC 3339. */
  readonly loadedAt: string;
  /**
   * Key paths changed in the file since start-up that only a restart applies (listener ports, Redis, connectors…):
   * the file and the running instance differ there until it restarts.
   */
  readonly restartRequired: readonly string[];
}

/** What one reload did. `invalid`: nothing changed, `problems` says why (as `hookyard validate` prints them). */
export interface ConfigReloadReport {
  readonly result: "applied" | "unchanged" | "invalid" | "failed";
  readonly problems: readonly string[];
  /** The live parts that changed: endpoints, subscriptions, eventTypes, ingress.routes, ingest.apiKeys, admin.apiKeys. */
  readonly applied: readonly string[];
  readonly restartRequired: readonly string[];
  readonly config: LoadedConfig;
}

/** The runtime's config reloader, as the admin API's `/config` routes use it. */
export interface ConfigControl {
  /** Re-reads the file, validates it as `hookyard validate` does and applies what can change live; serialized. */
  reload(trigger: "api" | "signal"): Promise<ConfigReloadReport>;
  loaded(): LoadedConfig;
}
