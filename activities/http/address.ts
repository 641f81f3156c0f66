// Which network addresses the fetch layer may connect to (docs/architecture.md rule 7: no requests to private
// addresses). Checked on the address a connection really goes to, so a registry host whose DNS
// answer turns private (DNS rebinding) is refused as surely as a redirect to http://10.0.0.1/.
import dns from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** Thrown (before any byte is sent) when a connection would go to a refused address. */
export class AddressRefused extends Error {
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} resolves to ${address}, a loopback, private or otherwise non-public address`);
    this.name = "AddressRefused";
  }
}

// Everything that is not public unicast: "this network", RFC 1918, carrier-grade NAT, loopback,
// link-local, IETF protocol assignments, benchmarking, multicast and reserved/broadcast; for IPv6
// the unspecified/loopback/IPv4-compatible block, unique-local, link-local and multicast.
// Node's BlockList also matches IPv4-mapped IPv6 forms (::ffff:127.0.0.1) against the IPv4 rules.
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  nonPublic.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  nonPublic.addSubnet(network, prefix, "ipv6");
}

/** True for a public unicast IP address; false for private ones and for anything that is not an IP. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !nonPublic.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** "address:port" as used in `allowPrivateAddresses` ("127.0.0.1:8080", "[::1]:8080"). */
export function endpointKey(address: string, port: number): string {
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/**
 * Returns a checker for one connection: public addresses pass; a non-public one passes only when
 * its exact "address:port" endpoint is in `allowed` (the loopback fixture server in tests).
 */
export function addressGuard(hostname: string, port: number, allowed: readonly string[]): (address: string) => void {
  return (address) => {
    if (isPublicAddress(address)) return;
    if (allowed.includes(endpointKey(address, port))) return;
    throw new AddressRefused(hostname, address);
  };
}

/**
 * A `lookup` for node:http that refuses the connection when any address the name resolves to is
 * refused. Checking inside the connect path (not in a separate DNS query beforehand) leaves no gap
 * between the check and the connection for a rebinding DNS server to exploit.
 */
export function guardedLookup(check: (address: string) => void): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      try {
        if (addresses.length === 0) throw new Error(`${hostname} has no address`);
        for (const a of addresses) check(a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, "", 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
