import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

const common = {
  /** Seconds, tiny sizes, no targets: does the bench still start and get answers (CI runs it). */
  smoke: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/**
 * A bench's command-line flags, with the ones every bench has (`--smoke`, `--help`): `--help`
 * prints `help` and exits.
 */
export function benchFlags<const O extends Options>(help: string, options: O) {
  const { values } = parseArgs<{ options: O & typeof common }>({ options: { ...options, ...common } });
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${help}\n`);
    process.exit(0);
  }
  return values;
}
