// The Chromium the browser tests drive: by default the build shipped inside the @sparticuz/chromium npm
// package (unpacked once into the temp folder; no apt, no root), or a system Chromium named by
// OBSERVATORY_CHROMIUM (e.g. /usr/bin/chromium).
import { chromium, type Browser } from "playwright-core";
import { oncePerRun } from "./once-per-run.js";

/**
 * Flags for a headless browser that stays off the network: no background requests, updates or
 * pings, so every request a test sees comes from the page. The package's own flag list is not used whole:
 * it turns off web security and allows mixed content, which would hide what these tests look for.
 */
const quietFlags = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-domain-reliability",
  "--no-pings",
  "--no-first-run",
  "--disable-sync",
];

/** Where the browser came from, for test titles and failure messages. */
export let browserOrigin = "";

export async function launchChromium(): Promise<Browser> {
  const system = process.env.OBSERVATORY_CHROMIUM;
  if (system) {
    browserOrigin = system;
    return chromium.launch({ executablePath: system, args: ["--no-sandbox", ...quietFlags] });
  }
  const { default: packaged } = await import("@sparticuz/chromium");
  packaged.setGraphicsMode = false;
  // The package unpacks its binary to one fixed path in the temp folder. Two test files that unpack it at
  // once race: one spawns the file while the other is still writing it (spawn ETXTBSY). So one file per
  // run unpacks it and the others wait for its path.
  const executablePath = await oncePerRun("chromium", () => packaged.executablePath());
  browserOrigin = `@sparticuz/chromium (${executablePath})`;
  return chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--no-zygote", "--disable-webgl", "--font-render-hinting=none", ...quietFlags],
  });
}
