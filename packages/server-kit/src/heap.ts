import v8 from "node:v8";

/**
 * The services' default for HEAP_GROWING_PERCENT. Measured with `bench:provision --compare-runtimes`
 * (60 s at 64 connections, MALLOC_ARENA_MAX=2, variants interleaved): at 70 % hub-service held
 * 172 MB of RSS and the gateway 153 MB, at 30 % 159 MB and 140 MB (V8's old space 54 → 43 MB
 * committed). The price is GC time: with --trace-gc, hub-service's mark-compacts went from 0.74
 * to 1.58 per second and their main-thread time from 1.8 % to 3.4 % of the wall clock (about 2 %
 * more CPU); the gateway's did not grow. 15 % took a few MB more off for more GC again.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 30;

/**
 * Bounds how far V8 lets the old generation grow past what survived the last full GC before it
 * collects again: to (1 + percent/100) × live. V8's own factor, on a machine with a large heap
 * limit, goes up to 4× under a high allocation rate; for these services under sustained load that
 * meant 240-280 MB of RSS where the live heap was ~50 MB (a heap snapshot after the load: ~36 MB
 * live in hub-service, ~33 MB in the gateway). 0 leaves V8's default. The flag is read by each GC,
 * so setting it at start (after modules loaded) is enough.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
