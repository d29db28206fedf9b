import { describe, expect, it } from "vitest";
import { isSafeText, provisionHubBodySchema } from "../src/index.ts";

const base = { hubId: "3f1c2b9e-8d4a-4f6b-9c1d-2e3f4a5b6c7d", serial: "S", model: "M", vendorName: "V" };

describe("free text that can be stored verbatim", () => {
  it.each([
    "'; DROP TABLE hubs; --",
    "مرحبا-שלום",
    "\u202Eevil",
    "😀👩‍👩‍👧‍👦",
    "Z̴̡̛̜͓algo",
    "𝕳𝖚𝖇",
    "a\u200Bb\uFEFF",
  ])("accepts %j", (text) => {
    expect(isSafeText(text)).toBe(true);
    expect(
      provisionHubBodySchema.safeParse({ ...base, serial: text, model: text, vendorName: text }).success,
    ).toBe(true);
  });

  it.each(["a\u0000b", "a\uD800b", "a\uDC00b", "\uDFFF", "a\u0007b", "a\u001bb", "a\u007fb", "a\nb"])(
    "refuses %j in every free-text field",
    (text) => {
      expect(isSafeText(text)).toBe(false);
      for (const field of ["serial", "model", "vendorName"]) {
        const result = provisionHubBodySchema.safeParse({ ...base, [field]: text });
        expect(result.success).toBe(false);
        expect(result.error?.issues[0]?.path).toEqual([field]);
      }
    },
  );
});
