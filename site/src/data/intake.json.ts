// The "Report an AI incident" page's settings: where its form posts (OBSERVATORY_INTAKE_URL at build
// time; null means no form, and the page says how to report instead) and the provinces it offers.
import path from "node:path";
import { loadProvinces } from "../../../activities/intake.js";
import { asOf, emit, fail, repoRoot } from "./lib/exports.js";

const raw = process.env.OBSERVATORY_INTAKE_URL ?? "";
if (raw !== "" && !/^https?:\/\/[^/]/.test(raw)) fail(`intake.json: OBSERVATORY_INTAKE_URL must be an http(s) URL, got "${raw}"`);
const provinces = await loadProvinces(path.join(repoRoot, "sources", "provinces.yaml"));
emit("intake", { as_of: asOf(), url: raw || null, provinces: provinces.provinces, other: provinces.other }, ["provinces"]);
