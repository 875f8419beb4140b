import { promises as dns, type LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { WebhookTransport } from "./deliver";
import { DestinationNotAllowedError, isRefusedAddress } from "./destination";

/** Every address a host name resolves to (node:dns `lookup`, all of them, in the resolver's order). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: ResolveHost = (hostname) => dns.lookup(hostname, { all: true, order: "verbatim" });

/**
 * The Node entry's transport: it resolves the host name before each send,
 * refuses the destination unless every address passes the rules of
 * destination.ts, and connects to the checked addresses only — the socket's
 * `lookup` answers with them, so nothing resolves the name a second time (DNS
 * rebinding). TLS still verifies the certificate for the name (SNI and `Host`
 * are the URL's). `allowInsecure` (local development) skips the address
 * rules, not the pinning.
 *
 * @example
 * const transport = pinnedTransport({ allowInsecure: false });
 * await sendWebhook(webhook, { transport });
 */
export function pinnedTransport({
  allowInsecure,
  resolve = systemResolver,
}: {
  allowInsecure: boolean;
  resolve?: ResolveHost;
}): WebhookTransport {
  return async (raw, { headers, body, signal }) => {
    const url = new URL(raw);
    const literal = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const family = isIP(literal);
    const addresses: LookupAddress[] =
      family !== 0 ? [{ address: literal, family }] : await resolve(url.hostname.replace(/\.+$/, ""));
    if (addresses.length === 0) throw new Error("the host name resolved to no address");
    if (!allowInsecure && addresses.some((a) => isRefusedAddress(a.address))) throw new DestinationNotAllowedError();

    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        // No shared agent: a pooled socket would skip this send's check.
        { method: "POST", headers, signal, lookup: pinned, agent: false },
        (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
            },
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  };
}
