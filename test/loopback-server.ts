// A fixture HTTP server on 127.0.0.1 (random port) for tests that must not touch the real network:
// routes map a path to a canned response, a list of responses served in turn, or a handler; every
// request received is recorded. Pair it with `fetchSettingsFor(server)` to let the fetch layer in.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StaticResponse {
  /** @default 200 */
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Wait this long before sending anything. @default 0 */
  delayMs?: number;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, received: RecordedRequest) => void | Promise<void>;

/** A response, a handler, or responses served in turn (the last one repeats). */
export type Route = StaticResponse | StaticResponse[] | RouteHandler;

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Lower-case names. */
  headers: IncomingMessage["headers"];
  /** performance.now() when the request arrived. */
  at: number;
}

export interface LoopbackServer {
  /** "http://127.0.0.1:<port>" */
  origin: string;
  /** "127.0.0.1:<port>": the URL host (for `allowedHosts`) and the socket endpoint (for `allowPrivateAddresses`). */
  host: string;
  port: number;
  url(pathAndQuery: string): string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Requests whose path (without the query) is `pathname`. */
  requestsTo(pathname: string): RecordedRequest[];
  /** Most requests in flight at once so far. */
  maxInFlight: number;
  /** Adds or replaces a route. */
  route(pathname: string, route: Route): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendStatic(res: ServerResponse, response: StaticResponse): Promise<void> {
  if (response.delayMs) await sleep(response.delayMs);
  if (res.destroyed) return;
  res.writeHead(response.status ?? 200, response.headers ?? {});
  res.end(response.body ?? "");
}

/** Starts a server; routes are matched on the path with its query first, then without. Unknown paths get 404. */
export async function startLoopbackServer(routes: Record<string, Route> = {}): Promise<LoopbackServer> {
  const table = new Map<string, Route>(Object.entries(routes));
  const served = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  let inFlight = 0;

  const server = http.createServer((req, res) => {
    const received: RecordedRequest = { method: req.method ?? "", path: req.url ?? "/", headers: req.headers, at: performance.now() };
    requests.push(received);
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on("close", () => (inFlight -= 1));
    const pathname = received.path.split("?")[0];
    const key = table.has(received.path) ? received.path : pathname;
    const route = table.get(key);
    const reply = async () => {
      if (!route) return sendStatic(res, { status: 404, body: "not found" });
      if (typeof route === "function") return route(req, res, received);
      if (Array.isArray(route)) {
        const n = served.get(key) ?? 0;
        served.set(key, n + 1);
        return sendStatic(res, route[Math.min(n, route.length - 1)]);
      }
      return sendStatic(res, route);
    };
    reply().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;

  const state: LoopbackServer = {
    origin: `http://${host}`,
    host,
    port,
    url: (pathAndQuery) => `http://${host}${pathAndQuery}`,
    requests,
    requestsTo: (pathname) => requests.filter((r) => r.path.split("?")[0] === pathname),
    maxInFlight: 0,
    route: (pathname, route) => void table.set(pathname, route),
    close: () => {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
  return state;
}

/** The fetch settings that let requests reach this server (and only it) despite its loopback address. */
export function fetchSettingsFor(server: LoopbackServer): { allowPrivateAddresses: string[] } {
  return { allowPrivateAddresses: [server.host] };
}
