import dns, { type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

export const MAX_WEBHOOK_URL_LENGTH = 2048;

const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/**
 * The ipaddr.js range of an address, after unwrapping IPv4-mapped IPv6 (::ffff:a.b.c.d), or
 * "invalid" for anything that is not an IP address.
 */
function rangeOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return "invalid";
  const address = ipaddr.process(ip);
  const range = address.range();
  // IPv4-compatible addresses (::a.b.c.d, deprecated) are "unicast" to ipaddr.js, yet some stacks
  // still route them to the embedded IPv4 address.
  if (range === "unicast" && address.kind() === "ipv6" && address.match(IPV4_COMPATIBLE)) {
    return "ipv4Compatible";
  }
  return range;
}

/**
 * True for every address a webhook must not reach: anything but global unicast. Whatever is not
 * an IP address at all counts as forbidden too, so that a parsing surprise fails closed.
 */
export function isForbiddenAddress(ip: string): boolean {
  return rangeOf(ip) !== "unicast";
}

export type AddressForbiddenError = NodeJS.ErrnoException & { code: "EADDRFORBIDDEN"; address: string };

function forbidden(hostname: string, address: string): AddressForbiddenError {
  const range = rangeOf(address);
  const detail = hostname === address ? address : `${hostname} (resolves to ${address})`;
  return Object.assign(new Error(`refused to connect to ${detail}: a ${range} address, not a public one`), {
    code: "EADDRFORBIDDEN" as const,
    address,
    hostname,
  });
}

/**
 * A `lookup` for net/tls.connect (undici's `connect` option): the addresses it returns are the ones
 * the socket connects to, so checking here leaves no window for DNS rebinding between check and use.
 * Every address of the name is checked, not only the first, because happy eyeballs may try any.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, options.all ? [] : "");
        return;
      }
      if (!allowPrivate) {
        const bad = addresses.find((entry) => isForbiddenAddress(entry.address));
        if (bad) {
          callback(forbidden(hostname, bad.address), options.all ? [] : "");
          return;
        }
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "");
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

export type UrlCheck = { ok: true } | { ok: false; reason: string };

/** Static checks of a webhook URL; names are resolved (and their addresses checked) only when connecting. */
export function checkWebhookUrl(url: string, { allowPrivate }: { allowPrivate: boolean }): UrlCheck {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { ok: false, reason: "only http and https URLs are allowed" };
  }
  if (parsed.username || parsed.password) {
    return { ok: false, reason: "the URL must not contain credentials" };
  }
  if (!allowPrivate && parsed.protocol !== "https:") {
    return { ok: false, reason: "the URL must use https" };
  }
  // WHATWG URL already canonicalises numeric IPv4 spellings (0x7f.1, 2130706433) to dotted quads.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) return { ok: false, reason: "the URL has no host" };
  // A literal address never goes through the lookup hook (net.connect skips DNS for it).
  if (!allowPrivate && isIP(host) !== 0 && isForbiddenAddress(host)) {
    return { ok: false, reason: `the address ${host} is not a public address` };
  }
  return { ok: true };
}
