// The figures `npm run bench` prints: each stage's measurement against its bare baseline, with a target and
// whether it meets it. At full size the targets are those of issue 17; `--quick` (small sizes, for CI) only
// checks that each ratio points the right way, with bounds loose enough for a busy machine.
import type { Measured } from "./stage.js";

export interface Figure {
  value: number | null;
  unit: string;
  /** The bound, as text: "≥ 0.5", "≤ 1.3". */
  target: string;
  meets: boolean;
  note?: string;
}

export type Outcome = Measured | { error: string };

const ok = (o: Outcome | undefined): o is Measured => o !== undefined && !("error" in o);
const perSecond = (m: Measured) => m.count / m.seconds;

function figure(value: number | null, unit: string, bound: { atLeast?: number; atMost?: number }, note?: string): Figure {
  const target = bound.atLeast !== undefined ? `≥ ${bound.atLeast}` : `≤ ${bound.atMost}`;
  const meets = value !== null && Number.isFinite(value) && (bound.atLeast !== undefined ? value >= bound.atLeast : value <= bound.atMost!);
  return { value: value === null ? null : Math.round(value * 1000) / 1000, unit, target, meets, ...(note ? { note } : {}) };
}

const ratio = (a: Outcome | undefined, b: Outcome | undefined, f: (x: Measured, y: Measured) => number) =>
  ok(a) && ok(b) ? f(a, b) : null;

export function figures(m: Record<string, Outcome>, deriveSizes: number[], quick: boolean): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  // A stage left out of the run (`--only`) has no figures; one that failed has them, unmet.
  const ran = (...names: string[]) => names.some((name) => name in m);
  if (ran("rss", "rss-bare"))
    out["rss parse items/s ÷ bare rss-parser"] = figure(
      ratio(m.rss, m["rss-bare"], (a, b) => perSecond(a) / perSecond(b)),
      "ratio",
      { atLeast: quick ? 0.05 : 0.5 },
    );
  if (ran("stage-load", "load-bare"))
    out["stage+load rows/s ÷ bare INSERT…SELECT read_parquet"] = figure(
      ratio(m["stage-load"], m["load-bare"], (a, b) => perSecond(a) / perSecond(b)),
      "ratio",
      { atLeast: quick ? 0.005 : 0.5 },
    );
  if (ran("export", "export-bare"))
    out["export of every table ÷ COPY of observations"] = figure(
      ratio(m.export, m["export-bare"], (a, b) => a.seconds / b.seconds),
      "ratio",
      {
        atMost: quick ? 1000 : 5,
      },
    );
  if (ran("run"))
    out["unchanged run ÷ cold run"] = figure(
      ok(m.run) ? m.run.parts!.unchanged / m.run.seconds : null,
      "ratio",
      { atMost: quick ? 1 : 0.1 },
      "the warehouse's part of a run: stage, load with derive, export (not fetch, worker or site build)",
    );
  const smallest = deriveSizes[0];
  const largest = deriveSizes[deriveSizes.length - 1];
  for (const density of ["dense", "sparse"]) {
    if (!ran(...deriveSizes.map((n) => `derive-${density}-${n}`))) continue;
    const per = (n: number) => {
      const d = m[`derive-${density}-${n}`];
      return ok(d) ? (d.seconds / d.count) * 1000 : null;
    };
    for (const n of deriveSizes)
      out[`derive ms/item, ${density}, ${n} items`] = { value: round(per(n)), unit: "ms", target: "—", meets: per(n) !== null };
    const [a, b] = [per(smallest), per(largest)];
    // Flat ±30%: the largest size's cost per item at most 1.3× the smallest's. Quick: grows slower than n (not quadratic).
    out[`derive per item growth ${smallest}→${largest}, ${density}`] = figure(a !== null && b !== null ? b / a : null, "ratio", {
      atMost: quick ? largest / smallest : 1.3,
    });
  }
  for (const [name, o] of Object.entries(m)) {
    out[`peak RSS ${name}`] = figure(ok(o) ? o.peakRssMiB : null, "MiB", { atMost: 1024 }, ok(o) ? undefined : o?.error);
  }
  return out;
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
