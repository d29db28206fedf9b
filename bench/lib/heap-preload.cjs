// Loaded into hub-service and gateway by `bench:provision -- --heap` (node --require). It records
// where the process allocates (V8's sampling heap profiler, objects later collected included, so
// the profile shows the allocation rate and not only what survives) and writes the profile into
// BENCH_HEAP_DIR when the process exits. On SIGUSR2 it writes a heap snapshot there (after a full
// GC: what is live), which the bench asks for once the load has ended.
"use strict";
const inspector = require("node:inspector");
const fs = require("node:fs");
const path = require("node:path");
const v8 = require("node:v8");

const dir = process.env.BENCH_HEAP_DIR;
if (dir) {
  fs.mkdirSync(dir, { recursive: true });
  const session = new inspector.Session();
  session.connect();
  session.post("HeapProfiler.enable");
  session.post("HeapProfiler.startSampling", {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // A same-thread session answers synchronously, so this works in an exit handler.
  process.on("exit", () => {
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (!error)
        fs.writeFileSync(path.join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
  process.on("SIGUSR2", () => {
    const file = path.join(dir, `${process.pid}.heapsnapshot`);
    v8.writeHeapSnapshot(`${file}.tmp`);
    fs.renameSync(`${file}.tmp`, file);
  });
}
