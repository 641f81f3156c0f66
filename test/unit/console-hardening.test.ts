// The analyst console against hostile requests, on a real loopback server with real accounts (scrypt):
// brute force backs off per account and per address and ends in a lockout only an editor lifts, every
// attempt is audited, oversized bodies get 413, malformed ones 400, and a spoofed Host 421. None of these
// paths reaches Temporal, so the console gets a client whose connection is lazy and never used.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startConsole, type RunningConsole } from "../../scripts/lib/console-server.js";
import { testAnalysts } from "../helpers.js";
import { rawRequest } from "../http-request.js";

let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
let server: RunningConsole;
let clock: number;
const auditFile = () => path.join(dir, "audit.jsonl");

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-console-"));
  team = await testAnalysts(dir, { sokha: "analyst", dara: "analyst" });
  clock = Date.parse("2026-06-01T00:00:00Z");
  const client = new Client({ connection: Connection.lazy({ address: "127.0.0.1:1" }) });
  server = await startConsole({
    client,
    analysts: team.store,
    port: 0,
    archiveDir: path.join(dir, "archive"),
    auditLog: auditFile(),
    backoff: { now: () => clock },
    log: () => undefined,
  });
});
afterEach(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded", Host: new URL(server.url).host },
  body: new URLSearchParams(fields).toString(),
});
const login = (name: string, token: string) => rawRequest(`${server.url}/login`, form({ name, token }));
/** A well-formed token of the right account with a wrong secret: each one costs the server a real scrypt. */
const wrongToken = (name: string, i: number) => team.tokens[name].replace(/\.[^.]+$/, `.${String(i).padStart(43, "x")}`);
const audit = async () =>
  (await fs.readFile(auditFile(), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; name: string });

describe("console sign-in hardening", () => {
  it("answers 300 wrong tokens in a row mostly with 429, refuses the right token while backing off, and locks the account after 10 failures until an editor unlocks it", async () => {
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 300; i++) statuses.push((await login("sokha", wrongToken("sokha", i))).status);
    const seconds = (performance.now() - started) / 1000;
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
    // Right after, the right token is not heard either: the account is backing off.
    const right = await login("sokha", team.tokens.sokha);
    expect(right.status).toBe(429);
    expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
    console.error(`brute force: 300 wrong tokens answered in ${seconds.toFixed(2)} s, 3 of them checked`);

    // Waiting out each backoff, wrong tokens reach the lockout at the 10th failure.
    for (let i = 3; i < 10; i++) {
      clock += 16 * 60_000;
      expect((await login("sokha", wrongToken("sokha", 1000 + i))).status).toBe(i < 9 ? 401 : 403);
    }
    expect((await team.store.get("sokha"))?.lockedAt).toBeTruthy();
    clock += 16 * 60_000;
    const locked = await login("sokha", team.tokens.sokha);
    expect(locked.status).toBe(403);
    expect(locked.body).toContain("locked");

    await team.store.unlock("sokha");
    clock += 16 * 60_000;
    const back = await login("sokha", team.tokens.sokha);
    expect(back.status).toBe(303);
    expect(back.headers["set-cookie"]?.[0]).toMatch(/^observatory_console=/);

    const events = await audit();
    const count = (e: string) => events.filter((x) => x.event === e && x.name === "sokha").length;
    expect(count("sign_in_failed")).toBe(11);
    expect(count("sign_in_throttled")).toBe(298);
    expect(count("account_locked")).toBe(1);
    expect(count("sign_in")).toBe(1);
  }, 60_000);

  it("backs off per address too, so failures against one account slow guesses at another from the same address", async () => {
    for (let i = 0; i < 3; i++) expect((await login("sokha", wrongToken("sokha", i))).status).toBe(401);
    expect((await login("dara", team.tokens.dara)).status).toBe(429);
    clock += 2_000;
    expect((await login("dara", team.tokens.dara)).status).toBe(303);
    // A name that is no account is refused and counted like any other failure, never locked or created.
    expect((await login("mallory", wrongToken("sokha", 9))).status).toBe(401);
    expect(await team.store.get("mallory")).toBeUndefined();
  });

  it("refuses a token of another analyst typed under one's name, and a wrong Bearer token on the API", async () => {
    expect((await login("sokha", team.tokens.dara)).status).toBe(401);
    const api = await rawRequest(`${server.url}/api/reviews`, {
      headers: { Authorization: `Bearer ${wrongToken("dara", 1)}`, Host: new URL(server.url).host },
    });
    expect(api.status).toBe(401);
    expect((await audit()).map((e) => e.event)).toEqual(["sign_in_failed", "sign_in_failed"]);
  });

  it("answers an oversized body with 413, whether it declares its length or streams it, and a malformed one with 400", async () => {
    const host = new URL(server.url).host;
    const big = Buffer.alloc(2 * 1024 * 1024, "a");
    const declared = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
      body: Buffer.concat([Buffer.from("token="), big]),
    });
    expect(declared.status).toBe(413);
    const streamed = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
      chunks: Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, "b")),
    });
    expect(streamed.status).toBe(413);
    const badJson = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Host: host },
      body: '{"name": "sokha", "token":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toContain("not valid JSON");
    const notObject = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Host: host },
      body: "[1,2]",
    });
    expect(notObject.status).toBe(400);
    const badForm = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
      body: "name=sokha&token=%zz",
    });
    expect(badForm.status).toBe(400);
    const notUtf8 = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
      body: Buffer.from([0x6e, 0x3d, 0xff, 0xfe]),
    });
    expect(notUtf8.status).toBe(400);
    const xml = await rawRequest(`${server.url}/login`, {
      method: "POST",
      headers: { "Content-Type": "text/xml", Host: host },
      body: "<a/>",
    });
    expect(xml.status).toBe(400);
    // The server is still up and signs in the right analyst.
    expect((await login("dara", team.tokens.dara)).status).toBe(303);
  });

  it("refuses a request whose Host header is not the console's (DNS rebinding) before anything else, sign-in included", async () => {
    const port = new URL(server.url).port;
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, "127.0.0.1"]) {
      const res = await rawRequest(`${server.url}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
        body: new URLSearchParams({ name: "sokha", token: team.tokens.sokha }).toString(),
      });
      expect(res.status, `Host ${JSON.stringify(host)}`).toBe(421);
    }
    await expect(fs.stat(auditFile())).rejects.toThrow(/ENOENT/);
    expect((await rawRequest(`${server.url}/login`, { headers: { Host: `localhost:${port}` } })).status).toBe(200);
    expect((await rawRequest(`${server.url}/login`, { headers: { Host: `127.0.0.1:${port}` } })).status).toBe(200);
  });
});
