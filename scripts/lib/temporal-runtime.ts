// Connecting to Temporal, and running the embedded dev server that `npm start` uses when no
// TEMPORAL_ADDRESS is configured. The server keeps its state in a SQLite file under data/.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection } from "@temporalio/worker";
import type { ObservatoryConfig } from "../../temporal.config.js";

type ConnectionTarget = Pick<ObservatoryConfig["temporal"], "apiKey" | "tls"> & { address: string };

async function connectionOptions(target: ConnectionTarget) {
  const tls = target.tls
    ? {
        serverNameOverride: target.tls.serverNameOverride,
        serverRootCACertificate: target.tls.serverRootCaPath ? await fs.readFile(target.tls.serverRootCaPath) : undefined,
        clientCertPair: { crt: await fs.readFile(target.tls.certPath), key: await fs.readFile(target.tls.keyPath) },
      }
    : target.apiKey
      ? true
      : undefined;
  return { address: target.address, tls, apiKey: target.apiKey };
}

/** A workflow client for the configured cluster (or the embedded dev server's address). */
export async function connectClient(target: ConnectionTarget, namespace: string): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(target));
  return new Client({ connection, namespace });
}

/** The native connection a worker polls with. */
export async function connectWorker(target: ConnectionTarget): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionOptions(target));
}

function portIsFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, ip, () => server.close(() => resolve(true)));
  });
}

export interface DevServer {
  address: string;
  uiUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with a persistent SQLite file and waits until its frontend
 * answers. Output goes to a log file beside the database so the terminal stays readable.
 */
export async function startDevServer(
  cliPath: string,
  settings: ObservatoryConfig["devServer"],
  namespace: string,
  log: (m: string) => void = (m) => console.error(m),
): Promise<DevServer> {
  for (const port of [settings.port, settings.uiPort]) {
    if (!(await portIsFree(settings.ip, port))) {
      throw new Error(
        `Port ${settings.ip}:${port} is already in use. Another Temporal server may be running: ` +
          `set TEMPORAL_ADDRESS=${settings.ip}:${settings.port} to use it, or TEMPORAL_DEV_PORT / TEMPORAL_DEV_UI_PORT to pick free ports.`,
      );
    }
  }
  await fs.mkdir(path.dirname(settings.dbFile), { recursive: true });
  const logFile = path.join(path.dirname(settings.dbFile), "temporal-dev-server.log");
  const out = createWriteStream(logFile, { flags: "a" });
  const args = [
    "server",
    "start-dev",
    "--ip",
    settings.ip,
    "--port",
    String(settings.port),
    "--ui-port",
    String(settings.uiPort),
    "--db-filename",
    settings.dbFile,
    "--namespace",
    namespace,
    "--log-level",
    "warn",
  ];
  const child: ChildProcess = spawn(cliPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    }),
  );

  const address = `${settings.ip}:${settings.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited} during start-up; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGTERM");
        throw new Error(`Temporal dev server did not answer on ${address} within 60 s (${String(error)}); see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  log(`Temporal dev server up on ${address} (state in ${settings.dbFile})`);

  return {
    address,
    uiUrl: `http://${settings.ip}:${settings.uiPort}`,
    logFile,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exitedPromise;
      clearTimeout(timer);
      out.end();
    },
  };
}
