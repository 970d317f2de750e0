/**
 * The IP address filters of the ansible.utils collection (`ipaddr`, `ipwrap`, `ipv4`, `ipv6`,
 * `ipmath`, `ipsubnet`, `nthhost`, `next_nth_usable`, `previous_nth_usable`, `network_in_usable`,
 * `network_in_network`), with the semantics of ansible.utils 2.x on python netaddr 0.8
 * (plugins/plugin_utils/base/ipaddr_utils.py and plugins/filter/*.py), checked against them in
 * test/unit/ip-filters-oracle.test.ts. Registered under the short name (Ansible routes it to
 * ansible.utils), `ansible.utils.*` and `ansible.netcommon.*` (the old home, redirected).
 *
 * Addresses are parsed by ipaddr.js; the arithmetic is on BigInt. Integers past 2^53 (IPv6
 * `int`, `size`) come back as the nearest JavaScript number: the template engine has no big ints.
 */
import ipaddrjs from 'ipaddr.js';
import { TemplateError } from '../undefined.js';
import type { FilterDef } from './filters.js';
import { isDict, isInt, str, typeName } from './py.js';

type Version = 4 | 6;

/** netaddr's IPNetwork: the address as given (`ip`) and its prefix. */
interface Net {
  version: Version;
  ip: bigint;
  prefix: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;
const MAX = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n } as const;

class IpFilterError extends TemplateError {}

// ---- parsing (netaddr's parse_ip_network with INET_PTON)

function v4Int(s: string): bigint | undefined {
  if (!ipaddrjs.IPv4.isValidFourPartDecimal(s) || s.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
  return ipaddrjs.IPv4.parse(s).octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

/** netaddr's expand_partial_address: '10.1' is 10.1.0.0. */
function v4Partial(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  while (parts.length < 4) parts.push('0');
  return v4Int(parts.map((p) => String(Number(p))).join('.'));
}

function v6Int(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  // an embedded IPv4 tail ('::10.0.0.1', '::ffff:10.0.0.1') as two hex words: ipaddr.js reads any such tail as IPv4-mapped
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let text = s;
  if (tail) {
    const v4 = v4Int(tail[2]);
    if (v4 === undefined) return undefined;
    text = `${tail[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  if (!ipaddrjs.IPv6.isValid(text)) return undefined;
  return ipaddrjs.IPv6.parse(text).toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function isNetmask(v: bigint, ver: Version): boolean {
  const x = (v ^ MAX[ver]) + 1n;
  return (x & (x - 1n)) === 0n;
}
function isHostmask(v: bigint): boolean {
  const x = v + 1n;
  return (x & (x - 1n)) === 0n;
}
function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

function parseVersion(s: string, ver: Version): Net | undefined {
  const slash = s.indexOf('/');
  const a = slash >= 0 ? s.slice(0, slash) : s;
  const p = slash >= 0 ? s.slice(slash + 1) : undefined;
  const ip = ver === 4 ? (v4Int(a) ?? v4Partial(a)) : v6Int(a);
  if (ip === undefined) return undefined;
  let prefix: number = WIDTH[ver];
  if (p !== undefined) {
    const t = p.trim();
    if (/^[+-]?\d+$/.test(t)) prefix = Number(t);
    else {
      const m = ver === 4 ? v4Int(p) : v6Int(p);
      if (m === undefined) return undefined;
      if (isNetmask(m, ver)) prefix = WIDTH[ver] - bitLength(m ^ MAX[ver]);
      else if (isHostmask(m)) prefix = WIDTH[ver] - bitLength(m);
      else return undefined;
    }
  }
  if (prefix < 0 || prefix > WIDTH[ver]) return undefined;
  return { version: ver, ip, prefix };
}

/** netaddr.IPNetwork(str): IPv4 first, then IPv6. */
function parseNet(s: string): Net | undefined {
  return parseVersion(s, 4) ?? parseVersion(s, 6);
}

// ---- the network's numbers

const hostmaskOf = (n: Net) => (1n << BigInt(WIDTH[n.version] - n.prefix)) - 1n;
const netmaskOf = (n: Net) => MAX[n.version] ^ hostmaskOf(n);
const networkOf = (n: Net) => n.ip & netmaskOf(n);
const sizeOf = (n: Net) => 1n << BigInt(WIDTH[n.version] - n.prefix);
const lastOf = (n: Net) => networkOf(n) | hostmaskOf(n);
/** netaddr 0.8: no broadcast for IPv4 /31 and /32; IPv6 has one (the last address). */
const broadcastOf = (n: Net): bigint | undefined => (n.version === 4 && WIDTH[4] - n.prefix <= 1 ? undefined : lastOf(n));

// ---- printing (glibc's inet_ntop, which netaddr uses)

function fmtAddr(v: bigint, ver: Version): string {
  if (ver === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const words = Array.from({ length: 8 }, (_x, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = { ...cur };
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += fmtAddr(v & MAX[4], 4);
      break;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

const ipStr = (n: Net) => fmtAddr(n.ip, n.version);
const netStr = (n: Net) => `${ipStr(n)}/${n.prefix}`;
/** A Python int: past 2^53 its decimal text (the engine has no big ints; Ansible prints the same text). */
const num = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

// ---- membership (netaddr's `x in IPNetwork` / ranges, for is_private and friends)

interface Range {
  version: Version;
  lo: bigint;
  hi: bigint;
}
function cidr(s: string): Range {
  const n = parseNet(s)!;
  return { version: n.version, lo: networkOf(n), hi: lastOf(n) };
}
function span(a: string, b: string): Range {
  return { version: 4, lo: parseNet(a)!.ip, hi: parseNet(b)!.ip };
}
/** The special ranges, parsed on first use (not at start-up: most runs use no ip filter). */
let special:
  | { v4Private: Range[]; v6Private: Range[]; v4LinkLocal: Range; v6LinkLocal: Range; v4Multicast: Range; v6Multicast: Range; v4Loopback: Range }
  | undefined;
const ranges = () =>
  (special ??= {
    v4Private: [cidr('10.0.0.0/8'), cidr('100.64.0.0/10'), cidr('172.16.0.0/12'), cidr('192.0.0.0/24'), cidr('192.168.0.0/16'), cidr('198.18.0.0/15'), span('239.0.0.0', '239.255.255.255')],
    v6Private: [cidr('fc00::/7'), cidr('fec0::/10')],
    v4LinkLocal: cidr('169.254.0.0/16'),
    v6LinkLocal: cidr('fe80::/10'),
    v4Multicast: cidr('224.0.0.0/4'),
    v6Multicast: cidr('ff00::/8'),
    v4Loopback: cidr('127.0.0.0/8'),
  });

/** A network (or an address: a one-address network) inside a range. */
function inside(n: Net, r: Range): boolean {
  return n.version === r.version && networkOf(n) >= r.lo && lastOf(n) <= r.hi;
}
const isLinkLocal = (n: Net) => inside(n, n.version === 4 ? ranges().v4LinkLocal : ranges().v6LinkLocal);
const isPrivate = (n: Net) => (n.version === 4 ? ranges().v4Private : ranges().v6Private).some((r) => inside(n, r)) || isLinkLocal(n);
const isMulticast = (n: Net) => inside(n, n.version === 4 ? ranges().v4Multicast : ranges().v6Multicast);
const addrNet = (n: Net): Net => ({ version: n.version, ip: n.ip, prefix: WIDTH[n.version] });
const isLoopbackAddr = (n: Net) => (n.version === 4 ? inside(addrNet(n), ranges().v4Loopback) : n.ip === 1n);

// ---- ipaddr()

type VType = 'address' | 'network';
type Result = unknown;

interface Q {
  v: Net;
  vtype: VType;
  value: unknown;
  iplist?: Range;
}

function firstLast(v: Net): [bigint, bigint] | undefined {
  const size = sizeOf(v);
  if (size === 2n) return [networkOf(v), lastOf(v)];
  if (size > 1n) return [networkOf(v) + 1n, lastOf(v) - 1n];
  return undefined;
}

/** netaddr's IPAddress(int): a value outside the address space fails. */
function checked(x: bigint, ver: Version): bigint {
  if (x < 0n || x > MAX[ver]) throw new IpFilterError(`failed to detect a valid IP address from ${x}`);
  return x;
}

function notNetwork(vtype: VType): void {
  if (vtype === 'address') throw new IpFilterError('Not a network address');
}

const ipQuery = ({ v }: Q): Result => {
  const size = sizeOf(v);
  if (size === 1n) return ipStr(v);
  if (v.ip !== networkOf(v) || broadcastOf(v) === undefined) return ipStr(v);
  if (v.version === 6 && v.ip === networkOf(v)) return ipStr(v);
  return undefined;
};
const addressPrefix = ({ v }: Q): Result => {
  if (sizeOf(v) > 2n && (v.ip === networkOf(v) || v.ip === broadcastOf(v))) return false;
  return netStr(v);
};
const wrap = ({ v, vtype, value }: Q): Result => {
  if (v.version !== 6) return value;
  return vtype === 'address' ? `[${ipStr(v)}]` : `[${ipStr(v)}]/${v.prefix}`;
};

const QUERIES: Record<string, (q: Q) => Result> = {
  '': ({ v, vtype }) => (vtype === 'address' ? ipStr(v) : netStr(v)),
  address: ipQuery,
  ip: ipQuery,
  'address/prefix': addressPrefix,
  gateway: addressPrefix,
  gw: addressPrefix,
  'host/prefix': addressPrefix,
  hostnet: addressPrefix,
  router: addressPrefix,
  bool: () => true,
  broadcast: ({ v }) => (sizeOf(v) > 2n ? fmtAddr(broadcastOf(v)!, v.version) : undefined),
  cidr: ({ v }) => netStr(v),
  cidr_lookup: ({ v, iplist, value }) => (iplist && inside(v, iplist) ? value : undefined),
  first_usable: ({ v, vtype }) => {
    notNetwork(vtype);
    const size = sizeOf(v);
    if (size === 2n) return fmtAddr(networkOf(v), v.version);
    if (size > 1n) return fmtAddr(networkOf(v) + 1n, v.version);
    return undefined;
  },
  last_usable: ({ v, vtype }) => {
    notNetwork(vtype);
    const fl = firstLast(v);
    return fl ? fmtAddr(fl[1], v.version) : undefined;
  },
  next_usable: ({ v, vtype }) => {
    notNetwork(vtype);
    const fl = firstLast(v);
    if (!fl) return undefined;
    const next = checked(v.ip + 1n, v.version);
    return next >= fl[0] && next <= fl[1] ? fmtAddr(next, v.version) : undefined;
  },
  previous_usable: ({ v, vtype }) => {
    notNetwork(vtype);
    const fl = firstLast(v);
    if (!fl) return undefined;
    const prev = checked(v.ip - 1n, v.version);
    return prev >= fl[0] && prev <= fl[1] ? fmtAddr(prev, v.version) : undefined;
  },
  range_usable: ({ v, vtype }) => {
    notNetwork(vtype);
    const fl = firstLast(v);
    return fl ? `${fmtAddr(fl[0], v.version)}-${fmtAddr(fl[1], v.version)}` : undefined;
  },
  host: ({ v }) => {
    if (sizeOf(v) === 1n) return netStr(v);
    if (v.ip !== networkOf(v) || broadcastOf(v) === undefined) return netStr(v);
    return undefined;
  },
  hostmask: ({ v }) => fmtAddr(hostmaskOf(v), v.version),
  wildcard: ({ v }) => fmtAddr(hostmaskOf(v), v.version),
  int: ({ v, vtype }) => (vtype === 'address' ? num(v.ip) : `${v.ip}/${v.prefix}`),
  'ip/prefix': ({ v }) => {
    const size = sizeOf(v);
    if (size === 2n) return netStr(v);
    if (size > 1n && v.ip !== networkOf(v)) return netStr(v);
    return undefined;
  },
  ip_netmask: ({ v }) => {
    const size = sizeOf(v);
    if (size === 2n || (size > 1n && v.ip !== networkOf(v))) return `${ipStr(v)} ${fmtAddr(netmaskOf(v), v.version)}`;
    return undefined;
  },
  ipv4: ({ v, value }) => {
    if (v.version === 4) return value;
    let ip: bigint;
    if (v.ip <= MAX[4]) ip = v.ip;
    else if (v.ip <= 0xffffffffffffn) ip = v.ip - 0xffff00000000n;
    else return false;
    const prefix = v.prefix - 96;
    // netaddr builds 'a.b.c.d/<prefix - 96>': a negative prefix is no network
    if (prefix < 0) return false;
    return netStr({ version: 4, ip, prefix });
  },
  ipv6: ({ v, value }) => (v.version === 4 ? netStr({ version: 6, ip: 0xffff00000000n + v.ip, prefix: v.prefix + 96 }) : value),
  'link-local': ({ v, value }) => (isLinkLocal(addrNet(v)) ? value : undefined),
  lo: ({ v, value }) => (isLoopbackAddr(v) ? value : undefined),
  loopback: ({ v, value }) => (isLoopbackAddr(v) ? value : undefined),
  multicast: ({ v, value }) => (isMulticast(v) ? value : undefined),
  net: ({ v }) => (sizeOf(v) > 1n && v.ip === networkOf(v) ? `${fmtAddr(networkOf(v), v.version)}/${v.prefix}` : undefined),
  netmask: ({ v }) => fmtAddr(netmaskOf(v), v.version),
  network: ({ v }) => fmtAddr(networkOf(v), v.version),
  network_id: ({ v }) => fmtAddr(networkOf(v), v.version),
  'network/prefix': ({ v }) => `${fmtAddr(networkOf(v), v.version)}/${v.prefix}`,
  subnet: ({ v }) => `${fmtAddr(networkOf(v), v.version)}/${v.prefix}`,
  network_netmask: ({ v }) => `${fmtAddr(networkOf(v), v.version)} ${fmtAddr(netmaskOf(v), v.version)}`,
  network_wildcard: ({ v }) => `${fmtAddr(networkOf(v), v.version)} ${fmtAddr(hostmaskOf(v), v.version)}`,
  peer: ({ v, vtype }) => {
    notNetwork(vtype);
    const size = sizeOf(v);
    if (size === 2n) return fmtAddr(v.ip ^ 1n, v.version);
    if (size === 4n) {
      if (v.ip % 4n === 0n) throw new IpFilterError('Network address of /30 has no peer');
      if (v.ip % 4n === 3n) throw new IpFilterError('Broadcast address of /30 has no peer');
      return fmtAddr(v.ip ^ 3n, v.version);
    }
    throw new IpFilterError('Not a point-to-point network');
  },
  prefix: ({ v }) => v.prefix,
  private: ({ v, value }) => (isPrivate(v) ? value : undefined),
  public: ({ v, value }) => {
    const a = addrNet(v);
    const unicast = !isMulticast(a);
    return unicast && !isPrivate(a) && !isLoopbackAddr(a) && !isNetmask(a.ip, a.version) && !isHostmask(a.ip) ? value : undefined;
  },
  revdns: ({ v }) => {
    if (v.version === 4) return `${fmtAddr(v.ip, 4).split('.').reverse().join('.')}.in-addr.arpa.`;
    return `${[...v.ip.toString(16).padStart(32, '0')].reverse().join('.')}.ip6.arpa.`;
  },
  size: ({ v }) => num(sizeOf(v)),
  size_usable: ({ v }) => {
    const size = sizeOf(v);
    return num(size === 1n ? 0n : size === 2n ? 2n : size - 2n);
  },
  type: ({ v }) => (sizeOf(v) === 1n || v.ip !== networkOf(v) ? 'address' : 'network'),
  unicast: ({ v, value }) => (!isMulticast(v) ? value : undefined),
  version: ({ v }) => v.version,
  wrap,
};
QUERIES.v4 = QUERIES.ipv4;
QUERIES.v6 = QUERIES.ipv6;

/** Python's str.isdigit for ASCII. */
const isDigits = (s: string) => /^\d+$/.test(s);
const pyFalsy = (x: unknown) => x === undefined || x === null || x === false || x === 0 || x === '' || (Array.isArray(x) && x.length === 0) || (isDict(x) && Object.keys(x).length === 0);

/** Python's float() of a query: does the string read as a number? */
function floatable(q: unknown): boolean {
  if (typeof q === 'number' || typeof q === 'boolean') return true;
  return typeof q === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(inf|infinity|nan)\s*$/i.test(q.replace(/_/g, ''));
}

/** ansible.utils' ipaddr(value, query, version, alias). */
export function ipaddr(value: unknown, query: unknown = '', version: 0 | Version = 0, alias = 'ipaddr'): unknown {
  if (Array.isArray(value)) return value.map((e) => ipaddr(e, str(query), version)).filter((x) => !pyFalsy(x));
  if (pyFalsy(value) || value === true) return false;
  let v: Net;
  let vtype: VType;
  const text = str(value);
  if (isDigits(text)) {
    const n = BigInt(text);
    if ((!version || version === 4) && n <= MAX[4]) v = { version: 4, ip: n, prefix: 32 };
    else if (n <= MAX[6]) v = { version: 6, ip: n, prefix: 128 };
    else return false;
    value = netStr(v);
    vtype = 'address';
  } else {
    const parsed = typeof value === 'string' ? parseNet(value) : undefined;
    if (parsed) {
      v = parsed;
      vtype = text.split('/').length === 2 ? 'network' : 'address';
    } else {
      // '<int>/<prefix>'
      const parts = text.split('/');
      if (parts.length !== 2 || !/^\s*[+-]?\d+\s*$/.test(parts[0]) || !/^\s*[+-]?\d+\s*$/.test(parts[1])) return false;
      const n = BigInt(parts[0].trim());
      const p = Number(parts[1].trim());
      if (n >= 0n && n <= MAX[4] && p >= 0 && p <= 32) v = { version: 4, ip: n, prefix: p };
      else if (n >= 0n && n <= MAX[6] && p >= 0 && p <= 128) v = { version: 6, ip: n, prefix: p };
      else return false;
      value = netStr(v);
      vtype = 'network';
    }
  }
  let q = query === null || query === undefined ? '' : query;
  let iplist: Range | undefined;
  if (q !== '' && q !== false && q !== 0 && (typeof q !== 'string' || !Object.hasOwn(QUERIES, q) || q === 'cidr_lookup') && !isDigits(str(q))) {
    try {
      const look = typeof q === 'string' ? parseNet(q) : undefined;
      if (look && ipaddr(q, 'network')) {
        iplist = { version: look.version, lo: networkOf(look), hi: lastOf(look) };
        q = 'cidr_lookup';
      }
    } catch {
      // not an address: an unknown query, below
    }
  }
  if (version && v.version !== version) return false;
  const qs = typeof q === 'string' ? q : undefined;
  if (qs !== undefined && Object.hasOwn(QUERIES, qs)) {
    const r = QUERIES[qs]({ v, vtype, value, iplist });
    return r === undefined ? null : r;
  }
  if (!floatable(q)) throw new IpFilterError(`${alias}: unknown filter type: ${str(q)}`);
  const size = sizeOf(v);
  if (size === 1n) return vtype === 'address' ? ipStr(v) : netStr(v);
  // IPNetwork[index] (the argspec made the index a str; netaddr takes an int's text, not a float's)
  const idx = typeof q === 'string' ? q.trim() : str(q);
  if (!/^[+-]?\d+$/.test(idx)) return false;
  let i = BigInt(idx);
  if (i < 0n) i += size;
  if (i < 0n || i >= size) return false;
  return `${fmtAddr(networkOf(v) + i, v.version)}/${v.prefix}`;
}

// ---- the filters' own argument checks (AnsibleArgSpecValidator) and the other filters

function needType(name: string, value: unknown, ok: ('str' | 'list' | 'int' | 'bool')[]): void {
  const t = typeof value === 'string' ? 'str' : Array.isArray(value) ? 'list' : typeof value === 'boolean' ? 'bool' : isInt(value) ? 'int' : undefined;
  // Python's bool is an int: an int check lets it through
  if (t && (ok.includes(t) || (t === 'bool' && ok.includes('int')))) return;
  throw new IpFilterError(`Unrecognized type <${pyType(value)}> for ${name} filter <value>`);
}

function pyType(v: unknown): string {
  return `class '${typeName(v)}'`;
}

/** The argspec's `type: str`: numbers become their text. */
function asStr(v: unknown): string {
  return v === undefined || v === null ? '' : str(v);
}

/** The argspec's `type: int`: an int, or a string of one. */
function asInt(name: string, param: string, v: unknown): number {
  if (isInt(v)) return v as number;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  throw new IpFilterError(`argument '${param}' is of type ${pyType(v)} and we were unable to convert to int`);
}

/** The network of a value (address: itself as a /32 or /128), or undefined: the nthhost family's opening. */
function netOf(value: unknown): Net | undefined {
  try {
    const vtype = ipaddr(value, 'type');
    let s: unknown;
    if (vtype === 'address') s = ipaddr(value, 'cidr');
    else if (vtype === 'network') s = ipaddr(value, 'subnet');
    else return undefined;
    return typeof s === 'string' ? parseNet(s) : undefined;
  } catch {
    return undefined;
  }
}

function nthhost(value: unknown, query: unknown): unknown {
  const v = netOf(value);
  if (!v) return false;
  if (pyFalsy(query)) return false;
  const s = asStr(query).trim();
  if (!/^[+-]?\d+$/.test(s)) return false;
  let nth = BigInt(s);
  const size = sizeOf(v);
  if (size > nth) {
    if (nth < 0n) nth += size;
    if (nth < 0n) throw new IpFilterError('index out range for address range size!');
    return fmtAddr(networkOf(v) + nth, v.version);
  }
  return false;
}

function nthUsable(value: unknown, offset: unknown, sign: 1n | -1n, name: string): unknown {
  const v = netOf(value);
  if (!v) return false;
  if (!isInt(offset) || typeof offset === 'boolean') throw new IpFilterError('Must pass in an integer');
  void name;
  const fl = firstLast(v);
  if (!fl) return null;
  const ip = v.ip + sign * BigInt(offset as number);
  if (ip < 0n || ip > MAX[v.version]) throw new IpFilterError(`address out of range`);
  return ip >= fl[0] && ip <= fl[1] ? fmtAddr(ip, v.version) : null;
}

function ipmath(value: unknown, amount: unknown): unknown {
  const s = asStr(value);
  const n = s.includes('/') ? parseNet(s) : (() => {
    const a = v4Int(s);
    if (a !== undefined) return { version: 4 as Version, ip: a, prefix: 32 };
    const b = v6Int(s);
    return b === undefined ? undefined : { version: 6 as Version, ip: b, prefix: 128 };
  })();
  if (!n) throw new IpFilterError(`You must pass a valid IP address; ${s} is invalid`);
  if (!isInt(amount) || typeof amount === 'boolean') throw new IpFilterError(`You must pass an integer for arithmetic; ${str(amount)} is not a valid integer`);
  const r = n.ip + BigInt(amount as number);
  if (r < 0n || r > MAX[n.version]) throw new IpFilterError(`result outside the ${n.version === 4 ? 'IPv4' : 'IPv6'} address space`);
  return fmtAddr(r, n.version);
}

function ipsubnet(value: unknown, query: unknown, index: unknown): unknown {
  const vtype = ipaddr(value, 'type');
  let s: unknown;
  if (!vtype) return false;
  if (vtype === 'address') s = ipaddr(value, 'cidr');
  else s = ipaddr(value, 'subnet');
  const given = parseNet(str(s))!;
  const net: Net = { version: given.version, ip: networkOf(given), prefix: given.prefix };
  const ntype = net.prefix === WIDTH[net.version] ? 'address' : 'network';
  const q = asStr(query);
  const cidrText = `${fmtAddr(net.ip, net.version)}/${net.prefix}`;
  if (q === '') return cidrText;
  const total = WIDTH[net.version];
  if (isDigits(q)) {
    const bits = Number(q);
    if (bits < 0 || bits > total) return false;
    if (index === undefined || index === null) {
      if (ntype === 'address') return `${fmtAddr(net.ip & (MAX[net.version] ^ ((1n << BigInt(total - bits)) - 1n)), net.version)}/${bits}`;
      if (bits - net.prefix < 0) throw new IpFilterError(`Requested subnet size of ${bits} is invalid`);
      return String(2n ** BigInt(bits - net.prefix));
    }
    let i = asInt('ipsubnet', 'index', index);
    if (ntype === 'address') {
      // supernet(bits)[index]: the supernets of prefix bits..total-1... netaddr lists prefixes bits..prefix-1
      const supers: string[] = [];
      for (let p = bits; p < net.prefix; p++) supers.push(`${fmtAddr(net.ip & (MAX[net.version] ^ ((1n << BigInt(total - p)) - 1n)), net.version)}/${p}`);
      if (i > total + 1 - i || i < bits - total) return false;
      if (i < 0) i += supers.length;
      if (i < 0 || i >= supers.length) throw new IpFilterError('list index out of range');
      return supers[i];
    }
    const subnets = 2n ** BigInt(bits - net.prefix);
    let bi = BigInt(i);
    if (bi < 0n) bi += subnets;
    if (bi < 0n || bi >= subnets) return false;
    return `${fmtAddr(net.ip + (bi << BigInt(total - bits)), net.version)}/${bits}`;
  }
  const qtype = ipaddr(q, 'type');
  let qs: unknown;
  if (qtype === 'address') qs = ipaddr(q, 'cidr');
  else if (qtype === 'network') qs = ipaddr(q, 'subnet');
  else throw new IpFilterError(`You must pass a valid subnet or IP address; ${q} is invalid`);
  const qn = parseNet(str(qs))!;
  const shift = BigInt(total - qn.prefix);
  if (net.ip >> shift === qn.ip >> shift) {
    const inner = ((net.ip & ((2n ** BigInt(net.prefix - qn.prefix) - 1n) << BigInt(total - net.prefix))) >> BigInt(total - net.prefix)) + 1n;
    return String(inner);
  }
  throw new IpFilterError(`${cidrText} is not in the subnet ${fmtAddr(networkOf(qn), qn.version)}/${qn.prefix}`);
}

function ipwrap(value: unknown, query: unknown): unknown {
  try {
    if (Array.isArray(value)) return value.map((e) => (ipaddr(e, query, 0, 'ipwrap') ? ipaddr(e, 'wrap') : e));
    const r = ipaddr(value, query, 0, 'ipwrap');
    return r && !pyFalsy(r) ? ipaddr(r, 'wrap') : value;
  } catch {
    return value;
  }
}

/** ansible.utils' _address_normalizer. */
function normalize(value: unknown): unknown {
  try {
    const vtype = ipaddr(value, 'type');
    return vtype === 'address' || vtype === 'network' ? ipaddr(value, 'subnet') : false;
  } catch {
    return false;
  }
}

const or = (a: unknown, b: () => unknown) => (pyFalsy(a) ? b() : a);
const asNum = (x: unknown) => (typeof x === 'number' ? x : x === true ? 1 : 0);

/** network_in_usable / network_in_network, written as ansible.utils writes them. */
function networkIn(value: unknown, test: unknown, usable: boolean): boolean {
  const v = normalize(value);
  const w = normalize(test);
  const vFirst = asNum(ipaddr(or(ipaddr(v, usable ? 'first_usable' : 'network'), () => ipaddr(v, 'address')), 'int'));
  const vLast = asNum(ipaddr(or(ipaddr(v, usable ? 'last_usable' : 'broadcast'), () => ipaddr(v, 'address')), 'int'));
  const wFirst = asNum(ipaddr(or(ipaddr(w, 'network'), () => ipaddr(w, 'address')), 'int'));
  const wLast = asNum(ipaddr(or(ipaddr(w, 'broadcast'), () => ipaddr(w, 'address')), 'int'));
  return vFirst <= wFirst && wFirst <= vLast && vFirst <= wLast && wLast <= vLast;
}

const A = (args: unknown[], kw: Record<string, unknown>, i: number, name: string) => (args.length > i ? args[i] : kw[name]);

/** The filters, keyed by short name. */
export const IP_FILTERS: Record<string, FilterDef> = {
  ipaddr: {
    fn: (_c, v, args, kw) => {
      needType('ipaddr', v, ['str', 'list', 'int']);
      const ver = A(args, kw, 1, 'version');
      return ipaddr(v, asStr(A(args, kw, 0, 'query')), ver === undefined || ver === null || ver === false ? 0 : (asInt('ipaddr', 'version', ver) as 0 | Version));
    },
  },
  ipv4: { fn: (_c, v, args, kw) => (needType('ipv4', v, ['str', 'list', 'int']), ipaddr(v, asStr(A(args, kw, 0, 'query')), 4, 'ipv4')) },
  ipv6: { fn: (_c, v, args, kw) => (needType('ipv6', v, ['str', 'list', 'int']), ipaddr(v, asStr(A(args, kw, 0, 'query')), 6, 'ipv6')) },
  ipwrap: { fn: (_c, v, args, kw) => (needType('ipwrap', v, ['str', 'list', 'bool']), ipwrap(v, asStr(A(args, kw, 0, 'query')))) },
  ipmath: { fn: (_c, v, args, kw) => ipmath(v, A(args, kw, 0, 'amount')) },
  ipsubnet: { fn: (_c, v, args, kw) => ipsubnet(asStr(v), A(args, kw, 0, 'query'), A(args, kw, 1, 'index')) },
  nthhost: { fn: (_c, v, args, kw) => nthhost(asStr(v), A(args, kw, 0, 'query')) },
  next_nth_usable: { fn: (_c, v, args, kw) => nthUsable(asStr(v), A(args, kw, 0, 'offset'), 1n, 'next_nth_usable') },
  previous_nth_usable: { fn: (_c, v, args, kw) => nthUsable(asStr(v), A(args, kw, 0, 'offset'), -1n, 'previous_nth_usable') },
  network_in_usable: { fn: (_c, v, args, kw) => networkIn(v, A(args, kw, 0, 'test'), true) },
  network_in_network: { fn: (_c, v, args, kw) => networkIn(v, A(args, kw, 0, 'test'), false) },
};

/** Short names, ansible.utils.* and ansible.netcommon.* (where the filters lived before ansible.utils). */
export function ipFilterNames(): [string, FilterDef][] {
  const out: [string, FilterDef][] = [];
  for (const [name, def] of Object.entries(IP_FILTERS)) {
    out.push([name, def], [`ansible.utils.${name}`, def], [`ansible.netcommon.${name}`, def]);
  }
  return out;
}

