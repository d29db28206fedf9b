import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, guardedLookup, isForbiddenAddress } from "../src/address-guard.ts";

type LookupOutcome = {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
};

function lookup(allowPrivate: boolean, hostname: string, all: boolean): Promise<LookupOutcome> {
  return new Promise((resolve) => {
    guardedLookup(allowPrivate)(hostname, { all }, (error, address, family) =>
      resolve(family === undefined ? { error, address } : { error, address, family }),
    );
  });
}

describe("isForbiddenAddress", () => {
  it.each([
    // IPv4 loopback, private, link-local (cloud metadata), CGNAT, unspecified, multicast, broadcast, reserved
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.0.1",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    // other spellings of 127.0.0.1
    "127.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    // IPv6
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "ff02::1",
    "fec0::1",
    "2001:db8::1",
    "100::1",
    // IPv4 inside IPv6: mapped, compatible, 6to4, Teredo, NAT64
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::FFFF:10.0.0.1",
    "::ffff:169.254.169.254",
    "0:0:0:0:0:ffff:c0a8:0101",
    "::127.0.0.1",
    "::7f00:1",
    "2002:7f00:1::",
    "2002:c0a8:0101::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "64:ff9b::7f00:1",
    // not addresses at all: fail closed
    "",
    "localhost",
    "example.com",
    "127.0.0.1.nip.io",
    "256.0.0.1",
  ])("forbids %s", (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "192.169.0.1",
    "169.255.0.1",
    "11.0.0.1",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
  ])("allows the public address %s", (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe("guardedLookup", () => {
  it.each([true, false])("refuses localhost (all: %s) with EADDRFORBIDDEN", async (all) => {
    const { error } = await lookup(false, "localhost", all);
    expect(error?.code).toBe("EADDRFORBIDDEN");
    expect(error?.message).toMatch(/^refused to connect to localhost \(resolves to (127\.0\.0\.1|::1)\)/);
  });

  it("refuses a private literal and allows a public one without DNS", async () => {
    expect((await lookup(false, "10.1.2.3", false)).error?.code).toBe("EADDRFORBIDDEN");
    expect(await lookup(false, "93.184.216.34", false)).toEqual({
      error: null,
      address: "93.184.216.34",
      family: 4,
    });
    expect(await lookup(false, "2606:4700::1111", true)).toEqual({
      error: null,
      address: [{ address: "2606:4700::1111", family: 6 }],
    });
  });

  it("resolves localhost when private addresses are allowed, in both callback shapes", async () => {
    const single = await lookup(true, "localhost", false);
    expect(single.error).toBeNull();
    expect(["127.0.0.1", "::1"]).toContain(single.address);
    expect([4, 6]).toContain(single.family);

    const many = await lookup(true, "localhost", true);
    expect(many.error).toBeNull();
    expect(Array.isArray(many.address)).toBe(true);
    expect((many.address as LookupAddress[]).map((entry) => entry.address)).toContain(single.address);
  });

  it("passes DNS failures through unchanged", async () => {
    const { error } = await lookup(false, "no-such-host.invalid", false);
    expect(error).not.toBeNull();
    expect(error?.code).not.toBe("EADDRFORBIDDEN");
  });
});

describe("checkWebhookUrl", () => {
  const strict = { allowPrivate: false };
  const relaxed = { allowPrivate: true };

  it.each([
    "https://example.com/hooks",
    "https://example.com:8443/hooks?x=1#frag",
    "https://93.184.216.34/x",
    "https://[2606:4700::1111]/x",
    `https://example.com/${"a".repeat(2048 - "https://example.com/".length)}`,
  ])("accepts %s", (url) => {
    expect(checkWebhookUrl(url, strict)).toEqual({ ok: true });
  });

  it.each([
    ["not a url", /not a valid URL/],
    ["ftp://example.com/x", /only http and https/],
    ["javascript:alert(1)", /only http and https/],
    ["file:///etc/passwd", /only http and https/],
    ["https://user:secret@example.com/", /credentials/],
    ["https://user@example.com/", /credentials/],
    ["http://example.com/", /https/],
    ["https://127.0.0.1/", /127\.0\.0\.1 is not a public address/],
    ["https://2130706433/", /127\.0\.0\.1/],
    ["https://0x7f.1/", /127\.0\.0\.1/],
    ["https://[::1]/", /::1 is not a public address/],
    ["https://[::ffff:127.0.0.1]/", /not a public address/],
    ["https://169.254.169.254/latest/meta-data/", /not a public address/],
    ["https://10.0.0.1/", /not a public address/],
    ["https://[fd00::1]/", /not a public address/],
    [`https://example.com/${"a".repeat(2049 - "https://example.com/".length)}`, /longer than 2048/],
  ])("refuses %s", (url, reason) => {
    const result = checkWebhookUrl(url, strict);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toMatch(reason);
  });

  it("allows plain http and private addresses only when allowPrivate is set", () => {
    expect(checkWebhookUrl("http://127.0.0.1:8080/hook", relaxed)).toEqual({ ok: true });
    expect(checkWebhookUrl("http://localhost/hook", relaxed)).toEqual({ ok: true });
    expect(checkWebhookUrl("https://[::1]/hook", relaxed)).toEqual({ ok: true });
    expect(checkWebhookUrl("ftp://127.0.0.1/", relaxed).ok).toBe(false);
    expect(checkWebhookUrl("http://a:b@127.0.0.1/", relaxed).ok).toBe(false);
  });
});
