import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may be sent (SPEC §9): only https URLs to public addresses, unless the operator allows
 * others (tests, on-premises). A name is checked against every address it resolves to, at registration and
 * again at each delivery, where the connection goes to exactly the address that was checked (so a name that
 * answers a public address at registration and a private one later — DNS rebinding — is refused then).
 */

/** Addresses that are not on the public internet: loopback, private, link-local (cloud metadata), etc. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/**
 * IPv6 ways of writing an IPv4 address (mapped, NAT64): never a webhook's address. Kept apart from NOT_PUBLIC
 * because a BlockList also checks every IPv4 address against its IPv6 rules in the mapped form.
 */
const IPV4_IN_IPV6 = new BlockList();
IPV4_IN_IPV6.addSubnet('::ffff:0:0', 96, 'ipv6');
IPV4_IN_IPV6.addSubnet('64:ff9b::', 96, 'ipv6');

/** Whether an IP address (v4 or v6 text) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family === 6) return !NOT_PUBLIC.check(address, 'ipv6') && !IPV4_IN_IPV6.check(address, 'ipv6');
  return false;
}

/** Why a URL may not receive webhooks, or null when it may (the address is checked separately). */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'must be an https URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a fragment';
  return null;
}

/** The host of a URL as an address or name to resolve (IPv6 literals without their brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

const LOOKUP_TIMEOUT_MS = 5_000;

/** Every address a host resolves to (the host itself when it is an address). */
export async function resolveAll(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`resolving ${host} took over 5 s`)), LOOKUP_TIMEOUT_MS);
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(addresses.map((a) => a.address));
    });
  });
}

/** Why the host may not receive webhooks (a private address, or no address at all), or null. */
export async function addressProblem(host: string): Promise<string | null> {
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch {
    return `${host} does not resolve`;
  }
  if (addresses.length === 0) return `${host} does not resolve`;
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused === undefined) return null;
  return refused === host
    ? `${host} is not a public address`
    : `${host} resolves to ${refused}, not a public address`;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for node:http(s) that answers only public addresses: the socket connects to an address this
 * function returned, so what was checked is what is reached.
 */
export function publicOnlyLookup(
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused || addresses.length === 0) {
      const e: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${refused?.address ?? 'nothing'}, not a public address`,
      );
      e.code = 'EADDRNOTPUBLIC';
      return callback(e, []);
    }
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if ((options as LookupAllOptions).all) return callback(null, usable);
    const first = usable[0];
    if (!first)
      return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}
