/**
 * `npm run build` (turbo runs each app's `build`): bundles an app's entry points into `dist/` with
 * esbuild, so production runs plain `node dist/…` — no TypeScript loader thread, no source-map
 * support installed in every process.
 *
 * Our own code (the app and the workspace packages it imports, which are TypeScript source) is
 * bundled; every npm package stays an external import, resolved from node_modules at run time as
 * under tsx. So native, WASM and worker-thread files (Prisma's query compiler, pino's transports)
 * load from where their packages expect them, and OpenTelemetry's module hooks can still patch
 * them. Usage: `tsx ../../scripts/build-app.ts src/main.ts [more entries]` from an app's folder.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { build, type Plugin } from "esbuild";

const entries = process.argv.slice(2);
if (entries.length === 0) {
  process.stderr.write("usage: build-app.ts <entry.ts> [entry.ts …]\n");
  process.exit(2);
}

/** Bare imports are npm packages (external) unless they name a workspace package (`@hub/…`). */
const npmPackagesExternal: Plugin = {
  name: "npm-packages-external",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@hub/") || path.isAbsolute(args.path)
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

const outdir = path.resolve("dist");
await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: entries,
  outdir,
  outbase: "src",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  sourcemap: "linked",
  // Keeps class and function names (error classes are told apart by name in logs).
  keepNames: true,
  metafile: true,
  logLevel: "warning",
  plugins: [npmPackagesExternal],
});
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith(".js"))
  .reduce((sum, [, output]) => sum + output.bytes, 0);
process.stdout.write(
  `${path.basename(process.cwd())}: ${entries.join(", ")} → dist/ (${(bytes / 1024).toFixed(0)} KiB)\n`,
);
