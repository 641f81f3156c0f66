// The one way every script reads its command line: node:util parseArgs, strict (an unknown flag or a
// missing value is an error that names it, followed by the usage), and --help (or -h) printing the usage.
import { parseArgs, type ParseArgsConfig } from "node:util";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

const helpOption = { help: { type: "boolean", short: "h" } } as const;

export interface CommandSpec<O extends OptionsConfig> {
  /** Printed by --help, and after a usage error. */
  usage: string;
  /** The script's flags (its --help is added). @default {} */
  options?: O;
  /** Whether the script takes arguments that are not flags (a command, ids, a file). @default false */
  positionals?: boolean;
}

/** What parseArgs gives for these options, with --help. */
export type CommandLine<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof helpOption; allowPositionals: true; strict: true }>
>;

/** The command line is not one the script understands; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * `--name -3` binds "-3" to a string option, as the scripts did before parseArgs, so a negative figure
 * (`--value -3`) needs no `=`. parseArgs alone would call it ambiguous.
 */
function bindDashValues(argv: readonly string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    const takesValue = arg.startsWith("--") && !arg.includes("=") && options[arg.slice(2)]?.type === "string";
    if (takesValue && next !== undefined && next.startsWith("-") && !next.startsWith("--")) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs's errors as usage errors; its advice on positionals after `--` would only confuse here. */
function usageError(error: unknown): unknown {
  const code = (error as { code?: string }).code ?? "";
  if (!code.startsWith("ERR_PARSE_ARGS")) return error;
  const message = (error as Error).message;
  const unknown = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /^Unknown option '([^']+)'/.exec(message)?.[1] : undefined;
  return new UsageError(unknown ? `unknown option ${unknown}` : message);
}

/** The parsed command line; a UsageError for a flag the script does not know, a missing value, or a stray argument. */
export function parseCommandLine<const O extends OptionsConfig = Record<never, never>>(
  argv: readonly string[],
  spec: CommandSpec<O>,
): CommandLine<O> {
  const options = { ...(spec.options ?? {}), ...helpOption } as O & typeof helpOption;
  let parsed: CommandLine<O>;
  try {
    parsed = parseArgs({ args: bindDashValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error);
  }
  if (!spec.positionals && parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  return parsed;
}

/**
 * For a script's first line: its parsed command line. --help prints the usage and exits 0; a usage error
 * prints "<name>: <what is wrong>" and the usage, and exits 2.
 */
export function commandLine<const O extends OptionsConfig = Record<never, never>>(
  name: string,
  spec: CommandSpec<O>,
  argv = process.argv.slice(2),
): CommandLine<O> {
  let parsed: CommandLine<O>;
  try {
    parsed = parseCommandLine(argv, spec);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${name}: ${error.message}\n${spec.usage}`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(spec.usage);
    process.exit(0);
  }
  return parsed;
}
