// `npm run analysts -- add|list|disable|rotate|unlock NAME`: the analyst accounts in config.analysts.file.
// Managing accounts is an editor's job: every command but the very first `add` (an empty file) needs an
// editor's token in OBSERVATORY_ANALYST_TOKEN or OBSERVATORY_ANALYST_TOKEN_FILE.
import { AnalystAuthError, AnalystStore, analystRoles, analystTokenFromEnv, identityOf, type AnalystRole } from "../activities/analysts.js";
import { loadConfig } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";

const usage = `Usage: npm run analysts -- <command>
  add NAME [--role analyst|editor]   a new account; prints its token once (the first account is always an editor)
  list                               accounts, roles, and which are disabled or locked
  rotate NAME                        a new token for NAME (the old one stops working; lifts a lockout)
  disable NAME                       NAME can no longer sign in or decide
  unlock NAME                        lifts the lockout after failed sign-ins
Accounts live in OBSERVATORY_ANALYSTS_FILE (default data/analysts.json, mode 0600, never exported).`;

async function main(): Promise<number> {
  const { values, positionals } = commandLine("analysts", {
    usage,
    options: { role: { type: "string", default: "analyst" } },
    positionals: true,
  });
  const [command, name] = positionals;
  if (!command) {
    console.log(usage);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const store = new AnalystStore(config.analysts.file);
  const accounts = await store.list();
  const bootstrap = command === "add" && accounts.length === 0;
  if (!bootstrap) {
    const editor = await store.verifyToken(await analystTokenFromEnv());
    if (editor.role !== "editor") throw new AnalystAuthError("role", `${editor.by} is an analyst; managing accounts needs an editor`);
  }
  if (command === "list") {
    for (const a of accounts) {
      const state = a.disabledAt ? `disabled ${a.disabledAt}` : a.lockedAt ? `LOCKED ${a.lockedAt}` : "active";
      console.log(
        `${identityOf(a.name).padEnd(28)} ${a.role.padEnd(8)} ${state.padEnd(34)} created ${a.createdAt}${a.rotatedAt ? `, rotated ${a.rotatedAt}` : ""}`,
      );
    }
    if (accounts.length === 0) console.log(`No analysts yet: npm run analysts -- add NAME (the first is an editor).`);
    return 0;
  }
  if (!name) throw new Error(`${command} needs a NAME\n${usage}`);
  if (command === "add" || command === "rotate") {
    const role = (bootstrap ? "editor" : values.role) as AnalystRole;
    if (command === "add" && !(analystRoles as readonly string[]).includes(role))
      throw new AnalystAuthError("--role", `must be ${analystRoles.join(" or ")}`);
    const token = command === "add" ? await store.add(name, role) : await store.rotate(name);
    console.error(
      `${command === "add" ? `Added ${identityOf(name)} (${role})` : `New token for ${identityOf(name)}`}. The token, shown this once:`,
    );
    console.log(token);
    console.error(
      `Give it to ${name} privately; they keep it in OBSERVATORY_ANALYST_TOKEN or a file of mode 600 named by OBSERVATORY_ANALYST_TOKEN_FILE.`,
    );
    return 0;
  }
  if (command === "disable") {
    await store.disable(name);
    console.log(`${identityOf(name)} is disabled.`);
    return 0;
  }
  if (command === "unlock") {
    await store.unlock(name);
    console.log(`${identityOf(name)} may sign in again.`);
    return 0;
  }
  throw new Error(`unknown command "${command}"\n${usage}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`analysts: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof AnalystAuthError ? 2 : 1);
  },
);
