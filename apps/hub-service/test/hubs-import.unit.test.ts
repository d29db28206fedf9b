import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../src/cli/command.ts";
import { describeRejection, gatewayTarget, retryAfterMs } from "../src/cli/hubs-import-client.ts";
import { BODY_FIELDS, chunk, inputFormatOf, parseCsv, parseJsonl } from "../src/cli/hubs-import-input.ts";
import {
  type RejectedRow,
  rejectedCsv,
  rejectedFilePath,
  summaryText,
  writeRejectedFile,
} from "../src/cli/hubs-import-output.ts";

// The pure parts of `hubs import`: reading the file, chunking, describing and writing rejections.
// The HTTP side is tested against the real gateway (apps/gateway/test/hubs-import.e2e.test.ts).

const csv = (text: string) => parseCsv(Buffer.from(text));
const jsonl = (text: string) => parseJsonl(Buffer.from(text));
const ID = "0b6f5e52-5c2a-4a53-9d53-0d5e1c1f6a01";

describe("parseCsv", () => {
  it("maps the header's columns to body fields, leaves out empty cells and numbers rows by line", () => {
    const input = csv(
      `hubId,serial,model,thingName,vendorName\n${ID},SN-1,HUB-2,thing-1,Acme\n${ID},SN-2,HUB-2,,\n`,
    );
    expect(input.columns).toEqual(BODY_FIELDS);
    expect(input.rows).toEqual([
      {
        line: 2,
        cells: { hubId: ID, serial: "SN-1", model: "HUB-2", thingName: "thing-1", vendorName: "Acme" },
        body: { hubId: ID, serial: "SN-1", model: "HUB-2", thingName: "thing-1", vendorName: "Acme" },
      },
      {
        line: 3,
        cells: { hubId: ID, serial: "SN-2", model: "HUB-2", thingName: "", vendorName: "" },
        body: { hubId: ID, serial: "SN-2", model: "HUB-2" },
      },
    ]);
  });

  it("keeps the header's column order (any order, a subset) and trims header names", () => {
    const input = csv(`model, serial ,hubId\nHUB-2,SN-1,${ID}\n`);
    expect(input.columns).toEqual(["model", "serial", "hubId"]);
    expect(input.rows[0]).toMatchObject({ body: { model: "HUB-2", serial: "SN-1", hubId: ID } });
  });

  it("rejects a row with missing or extra cells, with its line, and reads on", () => {
    const input = csv(`hubId,serial,model\n${ID},SN-1\n${ID},SN-2,HUB-2,extra\n${ID},SN-3,HUB-2\n`);
    expect(input.rows).toEqual([
      {
        line: 2,
        cells: { hubId: ID, serial: "SN-1", model: "" },
        reason: "row has 2 fields, the header has 3",
      },
      {
        line: 3,
        cells: { hubId: ID, serial: "SN-2", model: "HUB-2" },
        reason: "row has 4 fields, the header has 3",
      },
      { line: 4, cells: { hubId: ID, serial: "SN-3", model: "HUB-2" }, body: expect.any(Object) },
    ]);
  });

  it("counts lines as an editor does: skipped blank lines, quoted line breaks, CRLF, a BOM", () => {
    const text = `\uFEFFhubId,serial,model\r\n\r\n${ID},"SN\r\n1",HÜB\r\n\r\n\r\n${ID},SN-2\r\n${ID},SN-3,m`;
    const input = csv(text);
    expect(input.columns).toEqual(["hubId", "serial", "model"]);
    expect(input.rows.map((row) => row.line)).toEqual([3, 7, 8]);
    expect(input.rows[0]).toMatchObject({ body: { serial: "SN\r\n1", model: "HÜB" } });
    expect(input.rows[1]).toMatchObject({ reason: "row has 2 fields, the header has 3" });
  });

  it("refuses an unknown column, naming every unknown one", () => {
    const attempt = () => csv(`hubId,serial,model,colour,Serial\n${ID},SN-1,HUB-2,red,x\n`);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(
      'unknown column(s) "colour", "Serial" in the CSV header (known: hubId, serial, model, thingName, vendorName)',
    );
  });

  it("refuses a repeated column, a header without a required column, and an empty file", () => {
    expect(() => csv("hubId,serial,model,serial\n")).toThrow("column(s) serial appear twice");
    expect(() => csv("hubId,serial\n")).toThrow("lacks the required column(s) model");
    expect(() => csv("")).toThrow("the CSV file is empty");
  });

  it("accepts a header with no data rows", () => {
    expect(csv("hubId,serial,model\n").rows).toEqual([]);
  });

  it("refuses broken quoting as a whole, with the line where the parser gave up", () => {
    const attempt = () => csv(`hubId,serial,model\n${ID},"SN-1"x,HUB-2\n${ID},SN-2,HUB-2\n`);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow("the file is not valid CSV at line 2: Invalid Closing Quote");
    expect(() => csv(`hubId,serial,model\n${ID},"SN-1,HUB-2\n`)).toThrow(/not valid CSV.*Quote Not Closed/);
  });
});

describe("parseJsonl", () => {
  it("sends each object as it is, ignores blank lines and rejects lines that are not JSON objects", () => {
    const input = jsonl(
      [
        `{"hubId":"${ID}","serial":"SN-1","model":"HUB-2"}`,
        "",
        "   ",
        `{"hubId":"${ID}",`,
        "[1,2]",
        "null",
        '"text"',
        `{"hubId":"${ID}","serial":7,"model":"HUB-2","colour":"red"}\r`,
      ].join("\n"),
    );
    expect(input.columns).toEqual(BODY_FIELDS);
    expect(input.rows).toEqual([
      {
        line: 1,
        cells: { hubId: ID, serial: "SN-1", model: "HUB-2" },
        body: { hubId: ID, serial: "SN-1", model: "HUB-2" },
      },
      { line: 4, cells: {}, reason: expect.stringMatching(/^line is not valid JSON \(.+\)$/) },
      { line: 5, cells: {}, reason: "line is not a JSON object" },
      { line: 6, cells: {}, reason: "line is not a JSON object" },
      { line: 7, cells: {}, reason: "line is not a JSON object" },
      {
        line: 8,
        // Not a string: shown as JSON in the rejected file; unknown fields are the gateway's to judge.
        cells: { hubId: ID, serial: "7", model: "HUB-2" },
        body: { hubId: ID, serial: 7, model: "HUB-2", colour: "red" },
      },
    ]);
  });

  it("skips a byte order mark and reads an empty file as no rows", () => {
    expect(jsonl(`\uFEFF{"hubId":"${ID}"}\n`).rows).toEqual([
      { line: 1, cells: { hubId: ID }, body: { hubId: ID } },
    ]);
    expect(jsonl("").rows).toEqual([]);
  });
});

describe("inputFormatOf", () => {
  it("tells the format by the file name and refuses others", () => {
    expect(inputFormatOf("hubs.CSV")).toBe("csv");
    expect(inputFormatOf("dir/hubs.jsonl")).toBe("jsonl");
    expect(inputFormatOf("hubs.ndjson")).toBe("jsonl");
    expect(() => inputFormatOf("hubs.xlsx")).toThrow(UsageError);
  });
});

describe("chunk", () => {
  it("cuts rows into requests of at most the chunk size, in order", () => {
    const rows = Array.from({ length: 2_500 }, (_, index) => index);
    const chunks = chunk(rows, 1_000);
    expect(chunks.map((part) => part.length)).toEqual([1_000, 1_000, 500]);
    expect(chunks.flat()).toEqual(rows);
    expect(chunk(rows.slice(0, 3), 1)).toEqual([[0], [1], [2]]);
    expect(chunk([], 1_000)).toEqual([]);
  });
});

describe("describeRejection", () => {
  it("is the message with the per-field details and the conflict reason", () => {
    expect(
      describeRejection(
        {
          success: false,
          error: "Conflict",
          message: "serial is already used by another hub",
          code: 409,
          reason: "FIELD_TAKEN",
        },
        409,
      ),
    ).toBe("serial is already used by another hub (FIELD_TAKEN)");
    expect(
      describeRejection(
        {
          success: false,
          error: "Bad Request",
          message: "Invalid request body",
          code: 400,
          details: [
            { field: "hubId", message: "hubId must be a UUID" },
            { field: "", message: "unknown field(s): colour" },
          ],
        },
        400,
      ),
    ).toBe("Invalid request body: hubId: hubId must be a UUID; unknown field(s): colour");
  });

  it("falls back to the status for a body that is not an error body", () => {
    expect(describeRejection(undefined, 502)).toBe("HTTP 502");
    expect(describeRejection("<html>", 500)).toBe("HTTP 500");
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates; absent or unreadable is no hint", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3_000);
    expect(retryAfterMs("Tue, 01 Jan 2030 00:00:05 GMT", now)).toBe(5_000);
    expect(retryAfterMs(null, now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBe(0);
  });
});

describe("gatewayTarget", () => {
  const KEY = "hub_ABCDEFGHIJKL_secret-part-of-the-key-0123456789abcdefghijkl";

  it("calls /hubs/ProvisionHubs under the base URL, with the credential in its one header", () => {
    const byKey = gatewayTarget("http://127.0.0.1:4000", { apiKey: KEY });
    expect(byKey.endpoint.href).toBe("http://127.0.0.1:4000/hubs/ProvisionHubs");
    expect(byKey.headers).toEqual({ "x-api-key": KEY });
    const byToken = gatewayTarget("https://api.example.com/v1/", { bearer: "eyJ.x.y" });
    expect(byToken.endpoint.href).toBe("https://api.example.com/v1/hubs/ProvisionHubs");
    expect(byToken.headers).toEqual({ authorization: "Bearer eyJ.x.y" });
  });

  it("removes the credential from text the gateway sends back", () => {
    expect(gatewayTarget("http://gw", { apiKey: KEY }).redact(`bad key ${KEY}.`)).toBe("bad key [redacted].");
  });

  it("refuses a bad URL or a credential that cannot be a header, without repeating it", () => {
    expect(() => gatewayTarget("127.0.0.1:4000", { apiKey: KEY })).toThrow(UsageError);
    expect(() => gatewayTarget("ftp://gw", { apiKey: KEY })).toThrow("--url must be an http");
    const bad = `${KEY}\n`;
    expect(() => gatewayTarget("http://gw", { apiKey: bad })).toThrow(
      "--api-key must be printable ASCII without spaces",
    );
    expect(() => gatewayTarget("http://gw", { bearer: "a b" })).toThrow("--bearer must be printable");
  });
});

describe("the rejected file", () => {
  const rows: RejectedRow[] = [
    {
      line: 9,
      cells: { hubId: "x", serial: 'SN "7", rev\nB', model: "M" },
      status: "400",
      reason: "Invalid request body: hubId: hubId must be a UUID",
    },
    {
      line: 3,
      cells: { hubId: ID, serial: "SN-3" },
      status: "local",
      reason: "row has 2 fields, the header has 3",
    },
  ];
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("has the input's columns plus line, status and reason, in line order, properly quoted", () => {
    const text = rejectedCsv(["hubId", "serial", "model"], rows);
    expect(text.split("\n")[0]).toBe("hubId,serial,model,line,status,reason");
    expect(parse(text)).toEqual([
      ["hubId", "serial", "model", "line", "status", "reason"],
      [ID, "SN-3", "", "3", "local", "row has 2 fields, the header has 3"],
      ["x", 'SN "7", rev\nB', "M", "9", "400", "Invalid request body: hubId: hubId must be a UUID"],
    ]);
  });

  it("lies next to the input; is written when rows were rejected and removed when none were", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "hubs-import-unit-"));
    const file = rejectedFilePath(path.join(dir, "hubs.csv"));
    expect(file).toBe(path.join(dir, "hubs.csv.rejected.csv"));
    expect(await writeRejectedFile(file, ["hubId", "serial", "model"], rows)).toBe(file);
    expect(parse(await readFile(file))).toHaveLength(3);
    expect(await writeRejectedFile(file, ["hubId", "serial", "model"], [])).toBeNull();
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
    // No stale file and nothing to write: still fine.
    await writeFile(path.join(dir, "other"), "");
    expect(await writeRejectedFile(file, ["hubId"], [])).toBeNull();
  });
});

describe("summaryText", () => {
  it("is a table of the counts, duration and rate, naming the rejected file", () => {
    const text = summaryText({
      created: 2_300,
      unchanged: 0,
      rejected: 200,
      total: 2_500,
      durationSeconds: 4.26,
      hubsPerSecond: 587,
      rejectedFile: "hubs.csv.rejected.csv",
    });
    expect(text.split("\n")).toEqual([
      "created     2300",
      "unchanged      0",
      "rejected     200",
      "total       2500",
      "duration   4.3 s",
      "hubs/s       587",
      "",
      "rejected rows: hubs.csv.rejected.csv",
    ]);
  });
});
