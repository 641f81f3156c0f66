// `npm run bench`: each stage of the pipeline against its bare baseline on the same generated data, in one
// run: rss parse vs bare rss-parser, stage+load vs a bare DuckDB INSERT … SELECT FROM read_parquet into the
// same table, derive per item at several sizes (dense and sparse), export vs DuckDB's COPY, an unchanged
// run vs a cold one, and each stage's peak RSS. Every measurement runs in a child process of its own
// (bench/stage.ts) so its peak RSS is its own. The data is generated (bench/generate.ts): nothing is real,
// published or kept. Ratios within one run, so a busy shared machine moves both sides alike.
//   --quick            small sizes for CI; checks only that each ratio points the right way
//   --json             one JSON object instead of the table (each figure: value, unit, target, meets)
//   --observations N   observations for stage+load and export (default 1,000,000)
//   --feed-items N     items of the generated RSS feed (default 20,000)
//   --derive-sizes L   comma-separated news item counts for derive (default 1000,10000,100000,300000)
//   --run-items N      news items in the cold and unchanged runs, beside --observations (default 100,000)
//   --timeout S        seconds one measurement may take before it counts as failed (default 1800)
//   --only L           comma-separated stages to measure, each with its baseline: rss, stage-load, export, derive, run (default all)
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { figures, type Outcome } from "../bench/figures.js";
import type { Measure, Measured } from "../bench/stage.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    observations: { type: "string" },
    "feed-items": { type: "string" },
    "derive-sizes": { type: "string" },
    "run-items": { type: "string" },
    timeout: { type: "string" },
    only: { type: "string" },
  },
});
const quick = values.quick;
const whole = (name: string, v: string | undefined, fallback: number) => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, not "${v}"`);
  return n;
};
const sizes = {
  observations: whole("observations", values.observations, quick ? 5000 : 1_000_000),
  feedItems: whole("feed-items", values["feed-items"], quick ? 300 : 20_000),
  deriveSizes: (values["derive-sizes"] ?? (quick ? "300,1500" : "1000,10000,100000,300000"))
    .split(",")
    .map((s) => whole("derive-sizes", s.trim(), 0)),
  runItems: whole("run-items", values["run-items"], quick ? 500 : 100_000),
  timeoutSeconds: whole("timeout", values.timeout, quick ? 300 : 1800),
};
sizes.deriveSizes.sort((a, b) => a - b);

// Each measurement's stage, as --only names it: a bare baseline goes with the stage it is the baseline of.
const stageOf: Record<Measure["stage"], string> = {
  rss: "rss",
  "rss-bare": "rss",
  "stage-load": "stage-load",
  "load-bare": "stage-load",
  export: "export",
  "export-bare": "export",
  derive: "derive",
  "derive-loaded": "derive",
  run: "run",
};
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((s) => !Object.values(stageOf).includes(s));
if (unknown?.length)
  throw new Error(`--only: no stage "${unknown.join('", "')}"; the stages are ${[...new Set(Object.values(stageOf))].join(", ")}`);

const fullPlan: Array<[string, Measure]> = [
  ["rss", { stage: "rss", items: sizes.feedItems }],
  ["rss-bare", { stage: "rss-bare", items: sizes.feedItems }],
  ["stage-load", { stage: "stage-load", observations: sizes.observations }],
  ["load-bare", { stage: "load-bare", observations: sizes.observations }],
  ["export", { stage: "export", observations: sizes.observations }],
  ["export-bare", { stage: "export-bare", observations: sizes.observations }],
  ...(["dense", "sparse"] as const).flatMap((density) =>
    sizes.deriveSizes.map((items): [string, Measure] => [`derive-${density}-${items}`, { stage: "derive", items, density }]),
  ),
  ["run", { stage: "run", observations: sizes.observations, items: sizes.runItems }],
];
const plan = fullPlan.filter(([, measure]) => !only || only.includes(stageOf[measure.stage]));

/** Runs one measurement in its own Node process (tsx loader) and reads its one JSON line. */
function inChild(measure: Measure): Promise<Outcome> {
  const script = path.resolve(import.meta.dirname, "../bench/stage.ts");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(measure)], {
      cwd: path.resolve(import.meta.dirname, ".."), // where `--import tsx` resolves
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), sizes.timeoutSeconds * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(JSON.parse(out.trim().split("\n").pop()!) as Measured);
      const why =
        signal === "SIGKILL" ? `did not finish in ${sizes.timeoutSeconds} s` : `failed: ${err.trim().split("\n").slice(-3).join(" ")}`;
      resolve({ error: why });
    });
  });
}

const measurements: Record<string, Outcome> = {};
for (const [name, measure] of plan) {
  if (!values.json) process.stderr.write(`bench: ${name}…\n`);
  measurements[name] = await inChild(measure);
  // Each result as it comes, so a long full-size run shows what it has measured so far.
  if (!values.json) process.stderr.write(`bench: ${name}: ${JSON.stringify(measurements[name])}\n`);
}
const result = {
  data: "generated (bench/generate.ts); not real, not published",
  mode: quick ? "quick" : "full",
  sizes,
  measurements,
  figures: figures(measurements, sizes.deriveSizes, quick),
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const fmt = (v: number | null) => (v === null ? "—" : String(v));
  console.log(`Benchmark on generated data (${result.mode}); sizes: ${JSON.stringify(sizes)}`);
  console.log("\nmeasurement                      seconds   count      per second   peak RSS MiB");
  for (const [name, m] of Object.entries(measurements)) {
    if ("error" in m) console.log(`${name.padEnd(32)} ${m.error}`);
    else {
      // Parts are seconds, counts are counts: "unchanged 1.20 s, tables rewritten when unchanged 0".
      const details = [
        ...Object.entries(m.parts ?? {}).map(([k, v]) => `${k} ${v.toFixed(2)} s`),
        ...Object.entries(m.counts ?? {}).map(([k, v]) => `${k} ${v}`),
      ];
      const parts = details.length ? `  (${details.join(", ")})` : "";
      console.log(
        `${name.padEnd(32)} ${m.seconds.toFixed(3).padStart(8)} ${String(m.count).padStart(8)} ${Math.round(m.count / m.seconds)
          .toString()
          .padStart(14)} ${String(m.peakRssMiB).padStart(13)}${parts}`,
      );
    }
  }
  console.log("\nfigure                                                 value      target    meets");
  for (const [name, f] of Object.entries(result.figures)) {
    console.log(
      `${name.padEnd(54)} ${`${fmt(f.value)} ${f.unit === "ratio" ? "" : f.unit}`.padEnd(10)} ${f.target.padEnd(9)} ` +
        `${f.target === "—" ? "" : f.meets ? "yes" : "NO"}${f.note ? `  (${f.note})` : ""}`,
    );
  }
}
