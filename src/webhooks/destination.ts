// Destination URLs an entity may register. The URL is parsed the way fetch will
// parse it (WHATWG), so every notation of an IPv4 address — 2130706433,
// 0x7f.0.0.1, 0177.0.0.1, 127.1 — arrives here already as a dotted quad, and
// an IPv6 literal in its compressed bracketed form.

type Range = readonly [base: number, bits: number];

/** The `error` an attempt records when its destination is refused at send time. */
export const DESTINATION_NOT_ALLOWED = "destination_not_allowed";

/** A destination refused at send time (its URL, or an address its host name resolved to). */
export class DestinationNotAllowedError extends Error {
  override name = "DestinationNotAllowedError";
}

const ipv4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const BLOCKED_V4: Range[] = [
  [ipv4(0, 0, 0, 0), 8], // "this network", unspecified
  [ipv4(10, 0, 0, 0), 8], // private
  [ipv4(100, 64, 0, 0), 10], // CGNAT
  [ipv4(127, 0, 0, 0), 8], // loopback
  [ipv4(169, 254, 0, 0), 16], // link-local (cloud metadata)
  [ipv4(172, 16, 0, 0), 12], // private
  [ipv4(192, 0, 0, 0), 24], // IETF protocol assignments
  [ipv4(192, 168, 0, 0), 16], // private
  [ipv4(198, 18, 0, 0), 15], // benchmarking
  [ipv4(224, 0, 0, 0), 4], // multicast
  [ipv4(240, 0, 0, 0), 4], // reserved, broadcast
];

function blockedV4(address: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => address >>> (32 - bits) === base >>> (32 - bits));
}

function parseV4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return ipv4(a, b, c, d);
}

/** The 8 16-bit groups of a (WHATWG-serialized) IPv6 address, or null. */
function parseV6(host: string): number[] | null {
  let text = host;
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    const v4 = parseV4(embedded[1]!);
    if (v4 === null) return null;
    text = `${text.slice(0, -embedded[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail, ...rest] = text.split("::");
  if (rest.length > 0) return null;
  const groups = (s: string | undefined) =>
    s ? s.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? Number.parseInt(g, 16) : Number.NaN)) : [];
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<number>(Math.max(fill, 0)).fill(0), ...right];
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

function blockedV6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5] = g as [number, number, number, number, number, number];
  const v4At = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) {
    // ::/96 (unspecified, loopback, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped) and
    // ::ffff:0:0:0/96 (IPv4-translated): an IPv4 address in IPv6 clothes is never a webhook destination.
    if (g4 === 0 && (g5 === 0 || g5 === 0xffff)) return true;
    if (g4 === 0xffff && g5 === 0) return true;
  }
  if (g0 === 0x64 && g1 === 0xff9b && (g2 === 0 || g2 === 1)) return true; // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo 2001::/32 (tunnels to an IPv4 address)
  if (g0 === 0x2002) return blockedV4(v4At(g1, g2)); // 6to4 of a refused IPv4 address
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  return false;
}

/**
 * Whether an IP address (as a resolver or a URL parser gives it: dotted IPv4,
 * or IPv6 with or without brackets) lies in a range no webhook may reach. What
 * is not an address at all is refused too.
 *
 * @example
 * isRefusedAddress("10.0.0.1") // → true
 * isRefusedAddress("::ffff:8.8.8.8") // → true (IPv4-mapped)
 */
export function isRefusedAddress(address: string): boolean {
  const text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (text.includes(":")) {
    const groups = parseV6(text.toLowerCase());
    return groups === null || blockedV6(groups);
  }
  const v4 = parseV4(text);
  return v4 === null || blockedV4(v4);
}

/**
 * Why a webhook destination is refused, or null when it may be used: `https:`
 * only, no user-info, and no `localhost` (with any number of trailing dots) or
 * IP literal in a loopback, private, link-local, unique-local, CGNAT,
 * multicast, unspecified, discard-only, Teredo, NAT64 or IPv4-mapped/-translated
 * range (6to4 of such an IPv4 address too), in any notation. Checked when a URL
 * is saved and again before every send. `allowInsecure` (local development only) lifts every rule but the
 * scheme being http(s).
 *
 * @example
 * destinationProblem("https://10.0.0.1/hook", { allowInsecure: false }) // → "…private or local address…"
 */
export function destinationProblem(raw: string, { allowInsecure }: { allowInsecure: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url must be an absolute URL";
  }
  if (url.protocol !== "https:" && !(allowInsecure && url.protocol === "http:")) return "url must use https";
  if (allowInsecure) return null;
  if (url.username !== "" || url.password !== "") return "url must not carry a user name or password";
  // However many trailing dots: "localhost..", "127.0.0.1.." resolve as their dotless names do.
  const bare = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (bare === "") return "url must name a host";
  if (bare === "localhost" || bare.endsWith(".localhost")) return "url must not point to localhost";
  // Parsed again without the dots, so that "127.0.0.1.." and "0x7f.1.." are seen as the addresses they name.
  let host: string;
  try {
    host = new URL(`https://${bare}/`).hostname;
  } catch {
    return "url must name a valid host";
  }
  if (host.startsWith("[") || parseV4(host) !== null) {
    return isRefusedAddress(host) ? "url must not point to a private or local address" : null;
  }
  // A host that is all digits, dots and hex yet not a valid address was refused by the URL parser already.
  return null;
}
