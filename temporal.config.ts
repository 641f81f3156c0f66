// Typed configuration for the Temporal side of the observatory: where the server is, how workers run,
// and how long each kind of activity may take. Every value has a default that suits one laptop and an
// environment variable that overrides it for a real cluster.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the project checkout; paths below are resolved against it. */
export const projectRoot = path.dirname(fileURLToPath(import.meta.url));

export interface RetrySettings {
  /** @default 3 */
  maximumAttempts: number;
  /** @default "2s" */
  initialInterval: string;
  /** @default 2 */
  backoffCoefficient: number;
  /** @default "1m" */
  maximumInterval: string;
}

export interface ActivityKindSettings {
  /** Longest one attempt may run. */
  startToCloseTimeout: string;
  /** Longest between heartbeats before the attempt counts as lost; only for long activities. */
  heartbeatTimeout?: string;
  retry: RetrySettings;
}

/** The kinds of activity; each gets its own timeout and retry policy. */
export type ActivityKind = "fetch" | "parse" | "load" | "export" | "site" | "review";

export interface ObservatoryConfig {
  temporal: {
    /** host:port of the Temporal frontend. Unset means "start an embedded dev server". @default undefined */
    address?: string;
    /** @default "default" */
    namespace: string;
    /** API key for Temporal Cloud; sent as a bearer token and implies TLS. @default undefined */
    apiKey?: string;
    /** Client certificate and key for mTLS; both or neither. @default undefined */
    tls?: { certPath: string; keyPath: string; serverNameOverride?: string; serverRootCaPath?: string };
    /** @default "observatory" */
    taskQueue: string;
  };
  worker: {
    /** Concurrent activity executions per worker. @default 4 */
    maxConcurrentActivities: number;
    /** Concurrent workflow tasks per worker. @default 10 */
    maxConcurrentWorkflowTasks: number;
    /**
     * A workflow bundle made ahead (`bundleWorkflowCode`'s code, in a file) for the worker to load instead of
     * bundling workflows/ itself at every start. @default undefined (bundle at start)
     */
    workflowBundle?: string;
  };
  activities: Record<ActivityKind, ActivityKindSettings>;
  schedules: {
    /** IANA time zone the cron times below are read in. @default "Asia/Phnom_Penh" */
    timezone: string;
    /** Cron expression per cadence (sources with cadence `manual` get no schedule). */
    cron: Record<ScheduledCadence, string>;
  };
  review: {
    /**
     * How long a review waits for an analyst before its reminder is sent (OBSERVATORY_REVIEW_REMIND_AFTER,
     * e.g. "3d", "12h", "90s", "500ms"). @default "3d"
     */
    remindAfter: string;
    /** The same in milliseconds, as the review workflow receives it. @default 259200000 */
    remindAfterMs: number;
    /**
     * How long after it opened a review counts as overdue and is escalated (OBSERVATORY_REVIEW_ESCALATE_AFTER);
     * must be longer than remindAfter. @default "7d"
     */
    escalateAfter: string;
    /** @default 604800000 */
    escalateAfterMs: number;
    /** Append-only JSON-lines log of reminders and escalations (OBSERVATORY_REVIEW_EVENTS). @default "data/review-events.jsonl" */
    eventsLog: string;
    /**
     * Most reviews open at once per source and kind (OBSERVATORY_REVIEW_MAX_PER_SOURCE): a run opens
     * no more, and the rest wait, counted in the run's summary, until earlier ones are decided. @default 50
     */
    maxOpenPerSourceKind: number;
  };
  console: {
    /** Loopback address the analyst console listens on (OBSERVATORY_CONSOLE_HOST). @default "127.0.0.1" */
    host: string;
    /** OBSERVATORY_CONSOLE_PORT. @default 8340 */
    port: number;
    /**
     * The one Host header (host:port) the console answers (OBSERVATORY_CONSOLE_PUBLIC_HOST); others get 421,
     * so a page on another name (DNS rebinding) cannot drive it. @default undefined: <host>:<port> and localhost:<port>
     */
    publicHost?: string;
  };
  intake: {
    /**
     * Where the site's "Report an AI incident" form posts (OBSERVATORY_INTAKE_URL), e.g.
     * https://observatory.example.org/intake/report. Unset: the page says how to report instead and has no form.
     * @default undefined
     */
    url?: string;
    /** Address the intake listens on, behind the deployer's reverse proxy (OBSERVATORY_INTAKE_HOST). @default "127.0.0.1" */
    host: string;
    /** OBSERVATORY_INTAKE_PORT. @default 8341 */
    port: number;
    /** The intake's own store of reports with their contact details, mode 0600 (OBSERVATORY_INTAKE_DIR). @default "data/intake" */
    dir: string;
    /** Reports accepted per address per hour (OBSERVATORY_INTAKE_PER_HOUR). @default 5 */
    perHour: number;
    /** Take the caller's address from the last X-Forwarded-For entry (OBSERVATORY_INTAKE_TRUST_PROXY=1). @default false */
    trustProxy: boolean;
    /** The public site, for the link back after a report (OBSERVATORY_SITE_URL). @default undefined */
    siteUrl?: string;
    /** Append-only JSON-lines log of refused submissions (OBSERVATORY_INTAKE_AUDIT). @default "data/intake-audit.jsonl" */
    auditLog: string;
  };
  analysts: {
    /** Analyst accounts: roles and scrypt keys, mode 0600, never exported (OBSERVATORY_ANALYSTS_FILE). @default "data/analysts.json" */
    file: string;
    /** Append-only JSON-lines audit log of sign-ins, failures and lockouts (OBSERVATORY_AUTH_AUDIT). @default "data/auth-audit.jsonl" */
    auditLog: string;
  };
  devServer: {
    /** @default "127.0.0.1" */
    ip: string;
    /** gRPC frontend port. @default 7233 */
    port: number;
    /** Web UI port. @default 8233 */
    uiPort: number;
    /** Persistent SQLite file for the embedded server. @default "data/temporal.sqlite" */
    dbFile: string;
  };
  paths: {
    /** @default "data" */
    dataDir: string;
    /** DuckDB warehouse file. @default "data/observatory.duckdb" */
    warehouse: string;
    /** Content-addressed archive of every fetched body. @default "data/archive" */
    archive: string;
    /** Staged records waiting for the load. @default "data/staged" */
    staged: string;
    /** Public Parquet exports. @default "data/exports" */
    exports: string;
    /** Bundled offline snapshot (ships with the repo). @default "sources/snapshot" */
    snapshot: string;
    /** Observable Framework project. @default "site" */
    site: string;
    /** Where the built site goes, replaced whole after each successful build. @default "<site>/dist" */
    siteOutput: string;
    /** The npm modules Framework bundles for the pages, kept between builds. @default "data/site-modules" */
    siteModuleCache: string;
  };
}

/** Cadences that become Temporal Schedules (`manual` sources run only with `npm start`). */
export type ScheduledCadence = "hourly" | "daily" | "weekly" | "monthly" | "quarterly" | "yearly";

// Off the hour, and spread out, so scheduled runs do not start together or hit sources on the hour.
const defaultCron: Record<ScheduledCadence, string> = {
  hourly: "17 * * * *",
  daily: "23 5 * * *",
  weekly: "41 5 * * 1",
  monthly: "53 5 2 * *",
  quarterly: "7 6 3 1,4,7,10 *",
  yearly: "19 6 4 1 *",
};

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function strFrom(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === "" ? fallback : raw;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as "3d", "12h", "90s" or "500ms", in milliseconds; errors name the variable. */
export function durationMs(name: string, value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`${name} must be a positive duration such as 3d, 12h, 90s or 500ms, got "${value}"`);
  return Number(m[1]) * unitMs[m[2]];
}

/** A DuckDB memory limit from `name`: a DuckDB size such as 512MB or 2GB; `off` (null) leaves DuckDB's own (80% of RAM). */
function memoryLimitFrom(env: Env, name: string, fallback: string): string | null {
  const value = strFrom(env, name, fallback).trim();
  if (value === "off") return null;
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value))
    throw new Error(`${name} must be a size such as 512MB or 2GB, or off, got "${value}"`);
  return value;
}

/** DuckDB's memory limit while the export writes its tables (OBSERVATORY_EXPORT_MEMORY_LIMIT). */
export function exportMemoryLimit(env: Env = process.env): string | null {
  return memoryLimitFrom(env, "OBSERVATORY_EXPORT_MEMORY_LIMIT", "384MB");
}

/** DuckDB's memory limit while the load merges the stages and derives (OBSERVATORY_LOAD_MEMORY_LIMIT). */
export function loadMemoryLimit(env: Env = process.env): string | null {
  return memoryLimitFrom(env, "OBSERVATORY_LOAD_MEMORY_LIMIT", "384MB");
}

function resolvePath(env: Env, name: string, fallback: string): string {
  return path.resolve(projectRoot, strFrom(env, name, fallback));
}

const retry = (maximumAttempts: number, initialInterval = "2s", maximumInterval = "1m"): RetrySettings => ({
  maximumAttempts,
  initialInterval,
  backoffCoefficient: 2,
  maximumInterval,
});

/** Builds the configuration from defaults and the given environment (process.env by default). */
export function loadConfig(env: Env = process.env): ObservatoryConfig {
  // How long an activity may go without a heartbeat before its attempt counts as lost and is retried.
  const activityHeartbeat = `${durationMs("OBSERVATORY_HEARTBEAT_TIMEOUT", strFrom(env, "OBSERVATORY_HEARTBEAT_TIMEOUT", "30s"))}ms`;
  const certPath = env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_KEY;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new Error("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together");
  }
  // Read by the export and the load themselves; checked here so a bad value stops the worker at its start.
  exportMemoryLimit(env);
  loadMemoryLimit(env);
  const dataDir = strFrom(env, "OBSERVATORY_DATA_DIR", "data");
  if (env.OBSERVATORY_INTAKE_URL && !/^https?:\/\/[^/]/.test(env.OBSERVATORY_INTAKE_URL)) {
    throw new Error(`OBSERVATORY_INTAKE_URL must be an http(s) URL, got "${env.OBSERVATORY_INTAKE_URL}"`);
  }
  return {
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: strFrom(env, "TEMPORAL_NAMESPACE", "default"),
      apiKey: env.TEMPORAL_API_KEY || undefined,
      tls:
        certPath && keyPath
          ? {
              certPath,
              keyPath,
              serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
              serverRootCaPath: env.TEMPORAL_TLS_CA || undefined,
            }
          : undefined,
      taskQueue: strFrom(env, "TEMPORAL_TASK_QUEUE", "observatory"),
    },
    worker: {
      maxConcurrentActivities: intFrom(env, "OBSERVATORY_MAX_ACTIVITIES", 4),
      maxConcurrentWorkflowTasks: intFrom(env, "OBSERVATORY_MAX_WORKFLOW_TASKS", 10),
      ...(env.OBSERVATORY_WORKFLOW_BUNDLE ? { workflowBundle: resolvePath(env, "OBSERVATORY_WORKFLOW_BUNDLE", "") } : {}),
    },
    // Every long activity heartbeats (activities/heartbeat.ts → withHeartbeats), so an attempt lost with its
    // worker or its server is retried after the heartbeat timeout, not the start-to-close timeout. The
    // start-to-close timeouts bound the work itself: a fetch is at most 100 pages (fetch.max_pages) at
    // one per second plus retries; parse, load and export take seconds on this data and minutes on a
    // hundred times more; a site build takes about a minute on two cores.
    activities: {
      // Network work: retried with backoff; 4xx and parse errors are marked non-retryable where thrown.
      fetch: { startToCloseTimeout: "10m", heartbeatTimeout: activityHeartbeat, retry: retry(5, "2s", "2m") },
      parse: { startToCloseTimeout: "5m", heartbeatTimeout: activityHeartbeat, retry: retry(2) },
      // The load is one transaction; a second attempt is safe because it is idempotent.
      load: { startToCloseTimeout: "10m", heartbeatTimeout: activityHeartbeat, retry: retry(3) },
      export: { startToCloseTimeout: "10m", heartbeatTimeout: activityHeartbeat, retry: retry(3) },
      site: { startToCloseTimeout: "15m", heartbeatTimeout: activityHeartbeat, retry: retry(2) },
      // Review activities read or write one item in the warehouse; a lock held by the load is worth a retry.
      review: { startToCloseTimeout: "2m", retry: retry(5, "2s", "30s") },
    },
    review: reviewSettings(env, dataDir),
    console: {
      host: strFrom(env, "OBSERVATORY_CONSOLE_HOST", "127.0.0.1"),
      port: intFrom(env, "OBSERVATORY_CONSOLE_PORT", 8340),
      publicHost: env.OBSERVATORY_CONSOLE_PUBLIC_HOST || undefined,
    },
    intake: {
      url: env.OBSERVATORY_INTAKE_URL || undefined,
      host: strFrom(env, "OBSERVATORY_INTAKE_HOST", "127.0.0.1"),
      port: intFrom(env, "OBSERVATORY_INTAKE_PORT", 8341),
      dir: resolvePath(env, "OBSERVATORY_INTAKE_DIR", path.join(dataDir, "intake")),
      perHour: intFrom(env, "OBSERVATORY_INTAKE_PER_HOUR", 5),
      trustProxy: env.OBSERVATORY_INTAKE_TRUST_PROXY === "1" || env.OBSERVATORY_INTAKE_TRUST_PROXY === "true",
      siteUrl: env.OBSERVATORY_SITE_URL || undefined,
      auditLog: resolvePath(env, "OBSERVATORY_INTAKE_AUDIT", path.join(dataDir, "intake-audit.jsonl")),
    },
    analysts: {
      file: resolvePath(env, "OBSERVATORY_ANALYSTS_FILE", path.join(dataDir, "analysts.json")),
      auditLog: resolvePath(env, "OBSERVATORY_AUTH_AUDIT", path.join(dataDir, "auth-audit.jsonl")),
    },
    schedules: {
      timezone: strFrom(env, "OBSERVATORY_SCHEDULE_TZ", "Asia/Phnom_Penh"),
      cron: Object.fromEntries(
        Object.entries(defaultCron).map(([cadence, cron]) => [cadence, strFrom(env, `OBSERVATORY_CRON_${cadence.toUpperCase()}`, cron)]),
      ) as Record<ScheduledCadence, string>,
    },
    devServer: {
      ip: strFrom(env, "TEMPORAL_DEV_IP", "127.0.0.1"),
      port: intFrom(env, "TEMPORAL_DEV_PORT", 7233),
      uiPort: intFrom(env, "TEMPORAL_DEV_UI_PORT", 8233),
      dbFile: resolvePath(env, "TEMPORAL_DEV_DB", path.join(dataDir, "temporal.sqlite")),
    },
    paths: {
      dataDir: resolvePath(env, "OBSERVATORY_DATA_DIR", "data"),
      warehouse: resolvePath(env, "OBSERVATORY_WAREHOUSE", path.join(dataDir, "observatory.duckdb")),
      archive: resolvePath(env, "OBSERVATORY_ARCHIVE_DIR", path.join(dataDir, "archive")),
      staged: resolvePath(env, "OBSERVATORY_STAGED_DIR", path.join(dataDir, "staged")),
      exports: resolvePath(env, "OBSERVATORY_EXPORTS_DIR", path.join(dataDir, "exports")),
      snapshot: resolvePath(env, "OBSERVATORY_SNAPSHOT_DIR", "sources/snapshot"),
      site: resolvePath(env, "OBSERVATORY_SITE_DIR", "site"),
      siteOutput: resolvePath(env, "OBSERVATORY_SITE_OUTPUT", path.join(strFrom(env, "OBSERVATORY_SITE_DIR", "site"), "dist")),
      siteModuleCache: resolvePath(env, "OBSERVATORY_SITE_MODULE_CACHE", path.join(dataDir, "site-modules")),
    },
  };
}

function reviewSettings(env: Env, dataDir: string): ObservatoryConfig["review"] {
  const remindAfter = strFrom(env, "OBSERVATORY_REVIEW_REMIND_AFTER", "3d");
  const escalateAfter = strFrom(env, "OBSERVATORY_REVIEW_ESCALATE_AFTER", "7d");
  const remindAfterMs = durationMs("OBSERVATORY_REVIEW_REMIND_AFTER", remindAfter);
  const escalateAfterMs = durationMs("OBSERVATORY_REVIEW_ESCALATE_AFTER", escalateAfter);
  if (escalateAfterMs <= remindAfterMs) {
    throw new Error(
      `OBSERVATORY_REVIEW_ESCALATE_AFTER (${escalateAfter}) must be longer than OBSERVATORY_REVIEW_REMIND_AFTER (${remindAfter})`,
    );
  }
  return {
    remindAfter,
    remindAfterMs,
    escalateAfter,
    escalateAfterMs,
    eventsLog: resolvePath(env, "OBSERVATORY_REVIEW_EVENTS", path.join(dataDir, "review-events.jsonl")),
    maxOpenPerSourceKind: intFrom(env, "OBSERVATORY_REVIEW_MAX_PER_SOURCE", 50),
  };
}
