import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** Why an address is refused as a storage endpoint. */
export type AddressRefusal = 'metadata' | 'link_local' | 'unspecified' | 'loopback';

/** Names of cloud metadata services, refused before any resolution. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal', 'metadata.tencentyun.com']);
/** Cloud metadata addresses outside the link-local ranges (Alibaba, AWS over IPv6, Oracle classic). */
const METADATA_V4 = new Set(['100.100.100.200', '192.0.0.192']);
const METADATA_V6 = new Set(['fd00:ec2:0:0:0:0:0:254']);

/**
 * `::ffff:a.b.c.d`, `::ffff:a9fe:a9fe`, `::a.b.c.d` and the NAT64 `64:ff9b::a.b.c.d` reach IPv4
 * addresses, and are judged as them; anything else stays IPv6.
 */
function ipv4Of(v6: number[]): string | null {
  const zeros = v6.slice(0, 5).every((h) => h === 0);
  const nat64 = v6[0] === 0x64 && v6[1] === 0xff9b && v6.slice(2, 6).every((h) => h === 0);
  if (nat64 || (zeros && (v6[5] === 0xffff || (v6[5] === 0 && (v6[6] !== 0 || v6[7]! > 1))))) {
    return [v6[6]! >> 8, v6[6]! & 0xff, v6[7]! >> 8, v6[7]! & 0xff].join('.');
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 literal (zone ids dropped, embedded IPv4 read). */
function hextets(address: string): number[] {
  let s = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    s = `${s.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16));
}

/**
 * The canonical form of an IP literal: IPv4 dotted quad (IPv4-mapped and -compatible IPv6 become
 * IPv4), IPv6 as eight unpadded lower-case groups. Null when `address` is not an IP literal.
 */
export function normaliseAddress(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare.split('%')[0]!);
  if (family === 4) {
    return bare.split('.').map((o) => String(Number(o))).join('.');
  }
  if (family === 6) {
    const groups = hextets(bare);
    return ipv4Of(groups) ?? groups.map((g) => g.toString(16)).join(':');
  }
  return null;
}

/** Why `address` (an IP literal) may not be a storage endpoint, or null when it may. */
export function refusalOf(address: string, allowLoopback: boolean): AddressRefusal | null {
  const ip = normaliseAddress(address);
  if (ip === null) {
    return null;
  }
  if (ip.includes('.')) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    if (METADATA_V4.has(ip) || ip === '169.254.169.254' || ip === '169.254.170.2') {
      return 'metadata';
    }
    if (a === 169 && b === 254) {
      return 'link_local';
    }
    if (a === 0) {
      return 'unspecified';
    }
    if (a === 127) {
      return allowLoopback ? null : 'loopback';
    }
    return null;
  }
  const groups = ip.split(':').map((g) => parseInt(g, 16));
  if (METADATA_V6.has(ip)) {
    return 'metadata';
  }
  if ((groups[0]! & 0xffc0) === 0xfe80) {
    return 'link_local';
  }
  if (groups.every((g) => g === 0)) {
    return 'unspecified';
  }
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) {
    return allowLoopback ? null : 'loopback';
  }
  return null;
}

const REASONS: Record<AddressRefusal, string> = {
  metadata: 'a cloud metadata service',
  link_local: 'a link-local address',
  unspecified: 'an unspecified address',
  loopback: 'a loopback address (set settings.allowLoopback to allow it)',
};

/** An endpoint that resolves to an address a storage connection may not reach. */
export class AddressRefusedError extends Error {
  override name = 'AddressRefusedError';
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly refusal: AddressRefusal,
  ) {
    super(`address refused: ${host}${host === address ? '' : ` resolves to ${address}`}, ${REASONS[refusal]}`);
  }
}

/** Whether `host` is the name of a cloud metadata service (with or without a trailing dot). */
export function isMetadataName(host: string): boolean {
  return METADATA_NAMES.has(host.toLowerCase().replace(/\.$/, ''));
}

/** Throws `AddressRefusedError` when `address` (a literal, as resolved for `host`) is refused. */
export function assertAddressAllowed(host: string, address: string, allowLoopback: boolean): void {
  const refusal = refusalOf(address, allowLoopback);
  if (refusal) {
    throw new AddressRefusedError(host, normaliseAddress(address) ?? address, refusal);
  }
}

export interface GuardOptions {
  readonly allowLoopback: boolean;
  /** The resolver underneath (tests pass a fake one); `dns.lookup` by default. */
  readonly resolve?: (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
}

const systemResolve: NonNullable<GuardOptions['resolve']> = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/**
 * A `net.LookupFunction` for drivers' sockets: resolves the name and refuses it when any of its
 * addresses is link-local, a cloud metadata service, unspecified, or (unless `allowLoopback`)
 * loopback, so that a name re-pointed after creation (DNS rebinding) is refused at connect time.
 * Every address is checked, not only the one used, so a mixed answer is refused as a whole.
 */
export function guardedLookup(options: GuardOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolve;
  return ((hostname: string, opts: { family?: number | string; all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    if (isMetadataName(hostname)) {
      callback(Object.assign(new AddressRefusedError(hostname, hostname, 'metadata'), { errno: undefined }), '', 4);
      return;
    }
    resolve(hostname, (err, addresses) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      try {
        for (const a of addresses) {
          assertAddressAllowed(hostname, a.address, options.allowLoopback);
        }
      } catch (refused) {
        callback(refused as NodeJS.ErrnoException, '', 4);
        return;
      }
      const wanted = opts.family === 4 || opts.family === 'IPv4' ? 4 : opts.family === 6 || opts.family === 'IPv6' ? 6 : 0;
      const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
      if (usable.length === 0) {
        callback(Object.assign(new Error(`no usable address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
        return;
      }
      if (opts.all) {
        callback(null, usable);
      } else {
        callback(null, usable[0]!.address, usable[0]!.family);
      }
    });
  }) as LookupFunction;
}

/**
 * Resolves `host` (a name or an IP literal, IPv6 with or without brackets) and throws
 * `AddressRefusedError` when it is refused; the check made when a connection is created or tested.
 * A name that does not resolve is not refused here (connecting reports it).
 */
export async function checkHost(host: string, allowLoopback: boolean, resolve: GuardOptions['resolve'] = systemResolve): Promise<void> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isMetadataName(bare)) {
    throw new AddressRefusedError(bare, bare, 'metadata');
  }
  if (normaliseAddress(bare) !== null) {
    assertAddressAllowed(bare, bare, allowLoopback);
    return;
  }
  const addresses = await new Promise<LookupAddress[]>((ok) => resolve(bare, (err, list) => ok(err ? [] : list)));
  for (const a of addresses) {
    assertAddressAllowed(bare, a.address, allowLoopback);
  }
}
