// A small static file server for the built site: `npm run site:preview` and the browser tests.
// Loopback only by default; serves nothing outside the root folder.
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".csv": "text/csv; charset=utf-8",
  ".parquet": "application/vnd.apache.parquet",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

export async function serveStatic(root: string, port = 0, host = "127.0.0.1"): Promise<{ url: string; close: () => Promise<void> }> {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    try {
      const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      let file = path.resolve(base, `.${pathname}`);
      if (file !== base && !file.startsWith(base + path.sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      let stat = await fs.stat(file).catch(() => undefined);
      if (stat?.isDirectory()) {
        file = path.join(file, "index.html");
        stat = await fs.stat(file).catch(() => undefined);
      } else if (!stat && !path.extname(file)) {
        // Framework links pages without the .html suffix.
        file = `${file}.html`;
        stat = await fs.stat(file).catch(() => undefined);
      }
      if (!stat?.isFile()) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream", "content-length": stat.size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(500).end("error");
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: actual } = server.address() as AddressInfo;
  return { url: `http://${host}:${actual}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
