import { type ParseArgsConfig, parseArgs } from "node:util";
import type { CliEnv } from "./env.ts";

/**
 * What a command produced: `data` for `--json`, `text` for people, `warning` always on stderr.
 * `exitCode: 1` is for a command that ran and reports its output but did not do all it was asked
 * (e.g. rows an import rejected), so scripts can tell without parsing the output.
 */
export type CommandResult = {
  readonly data: unknown;
  readonly text: string;
  readonly warning?: string;
  readonly exitCode?: 1;
};

export type CommandContext = {
  readonly env: CliEnv;
  /** Arguments after the command words, e.g. `["acme", "--json"]` for `orgs create acme --json`. */
  readonly args: readonly string[];
  readonly now: () => Date;
  /** Informational line for the operator (stderr), kept out of `--json` output. */
  readonly note: (line: string) => void;
};

export type Command = {
  readonly usage: string;
  run(context: CommandContext): Promise<CommandResult>;
};

/** Wrong invocation: the message is followed by the command's usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export const globalOptions = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** `parseArgs` in strict mode with any number of positionals; its errors become usage errors. */
export function parseVariadicArgs<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, ...globalOptions },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `parseArgs` in strict mode with an exact number of positionals; its errors become usage errors. */
export function parseCommandArgs<O extends Options>(
  args: readonly string[],
  options: O,
  positionals: readonly string[],
) {
  const parsed = parseVariadicArgs(args, options);
  if (parsed.positionals.length !== positionals.length) {
    const expected =
      positionals.length === 0 ? "no arguments" : positionals.map((name) => `<${name}>`).join(" ");
    throw new UsageError(`expected ${expected}`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

export function parsePositiveInteger(
  value: string | undefined,
  flag: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a positive integer`);
  const number = Number(value);
  if (number < 1 || number > max) throw new UsageError(`${flag} must be between 1 and ${max}`);
  return number;
}

export function requireOption(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required`);
  return value;
}
