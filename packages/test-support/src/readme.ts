import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./databases.ts";

/**
 * The variables the README's Configuration table documents, with the default it gives each (the
 * table's third column). Every setting an app parses must be there: operators configure from the
 * README, and a setting it does not name is one they cannot find.
 */
export function documentedSettings(): Map<string, string> {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("\n## Configuration");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const settings = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    // | `A` / `B` | app | default | meaning |
    if (cells.length < 5 || !cells[1]?.startsWith("`")) continue;
    for (const [name] of (cells[1] ?? "").matchAll(/[A-Z][A-Z0-9_]+/g)) settings.set(name, cells[3] ?? "");
  }
  return settings;
}

/** The names among `names` that the README's Configuration table does not document. */
export function undocumentedSettings(names: Iterable<string>): string[] {
  const documented = documentedSettings();
  return [...names].filter((name) => !documented.has(name));
}
