// The long-running servers beside the pipeline (the analyst console, the public intake) share one life:
// connect to Temporal or say how to start it, serve until Ctrl-C or SIGTERM, then close the server before
// the connection. Exit codes: 1 when Temporal cannot be reached, 2 when the server cannot start.
import type { Client } from "@temporalio/client";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { connectReviewClient } from "./review-client.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function connectOrExit(name: string, config: ObservatoryConfig): Promise<Client> {
  const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
  return connectReviewClient(config).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      `${name}: cannot reach Temporal at ${address} (${reason}); start it with npm start -- --keep-running, or set TEMPORAL_ADDRESS`,
    );
    process.exit(1);
  });
}

/** Starts the server, prints what `announce` makes of it, and stops both it and the client on a signal. */
export async function serveUntilSignal(
  name: string,
  client: Client,
  start: () => Promise<RunningServer>,
  announce: (running: RunningServer) => string,
): Promise<void> {
  try {
    const running = await start();
    console.error(announce(running));
    const stop = () => {
      void running
        .close()
        .then(() => client.connection.close())
        .then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    await client.connection.close();
    process.exit(2);
  }
}
