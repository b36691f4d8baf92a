import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** What the delivery log says of a target refused for its address: nothing about ports, errors or timings. */
export const REFUSED_PRIVATE = 'refused: private address';

/** Every address a host name resolves to, as the OS resolver (`getaddrinfo`) gives them. */
export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** Which webhook targets this server may POST to. */
export interface WebhookTargetPolicy {
  /**
   * Allows loopback, RFC 1918, IPv6 unique-local, link-local and CGNAT targets (a receiver on the LAN), from
   * `ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS=1`. Cloud metadata, multicast, unspecified and reserved stay refused.
   */
  allowPrivateTargets?: boolean;
  /** The resolver (default `dns.lookup` with `all: true`); tests give names their addresses without the network. */
  resolveHost?: ResolveHost;
}

/** The address a delivery connects to: the one that was checked, so a second DNS answer cannot switch it. */
export interface CheckedTarget {
  address: string;
  family: 4 | 6;
}

/** The outcome of {@link checkWebhookTarget}: the address to connect to, or why there is none. */
export type TargetCheck = { ok: true; target: CheckedTarget } | { ok: false; reason: 'private' | 'unresolved' };

/**
 * Instance metadata endpoints (AWS, Azure, GCP, DigitalOcean at 169.254.169.254; AWS IPv6; ECS and EKS credentials;
 * Alibaba; Oracle): refused even when private targets are allowed, since no webhook receiver lives there.
 */
const METADATA_ADDRESSES = new Set(
  ['169.254.169.254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::254', 'fd00:ec2::23', 'fd20:ce::254', '100.100.100.200', '192.0.0.192'].map((a) =>
    ipaddr.parse(a).toNormalizedString(),
  ),
);

/** ipaddr.js range names of the local networks `allowPrivateTargets` opens. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'linkLocal', 'carrierGradeNat']);

/**
 * How an address may be used: `public` (globally routed unicast), `private` (a local network), or `never`
 * (metadata, multicast, unspecified, broadcast, reserved, and IPv6 transition forms that embed another address).
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export function classifyAddress(address: string): 'public' | 'private' | 'never' {
  if (!ipaddr.isValid(address)) return 'never';
  const ip = ipaddr.process(address);
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return 'never';
  const range = ip.range();
  if (range === 'unicast') return 'public';
  return PRIVATE_RANGES.has(range) ? 'private' : 'never';
}

const resolveWithOs: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The host of a parsed URL as an address or a name (`[::1]` without its brackets). */
export function urlHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Resolves the URL's host and decides whether it may be contacted, before any connection. The URL parser has already
 * normalised numeric host forms (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1` are all `127.0.0.1`). Every
 * address the name resolves to must be allowed, since the OS could connect to any of them.
 */
export async function checkWebhookTarget(url: URL, policy: WebhookTargetPolicy = {}): Promise<TargetCheck> {
  const host = urlHost(url);
  let addresses: Array<{ address: string; family: number }>;
  if (ipaddr.isValid(host)) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    try {
      addresses = await (policy.resolveHost ?? resolveWithOs)(host);
    } catch {
      return { ok: false, reason: 'unresolved' };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: 'unresolved' };
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (kind === 'never' || (kind === 'private' && !policy.allowPrivateTargets)) return { ok: false, reason: 'private' };
  }
  const first = addresses[0]!;
  return { ok: true, target: { address: first.address, family: first.family === 6 ? 6 : 4 } };
}
