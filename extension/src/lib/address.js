// Which hosts count as "on your own network" for the server address (the rules of pairing.js).
//
// The extension gives its server an API token and, for admins, the browser's sign-in cookies, so
// it must never be talked into sending them to a stranger, or in clear text across the internet.
// Local hosts: loopback, private networks (RFC 1918, fc00::/7), link-local, and the LAN-only name
// suffixes .local (mDNS), .lan and .home.arpa (RFC 8375). Everything else is public.
//
// `hostname` is URL.hostname: the URL parser has already turned every IPv4 spelling (decimal,
// hex, short forms) into dotted quads and IPv6 into its compressed hex form in brackets, so only
// those two forms need reading here.

const LOCAL_SUFFIXES = ['.local', '.lan', '.home.arpa'];

function ipv4Octets(host) {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return null;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

function isLocalIpv4([a, b]) {
  return (
    a === 127 || // loopback
    a === 10 || // RFC 1918
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) // link-local
  );
}

/** "[fe80::1]" -> eight 16-bit groups; null when it is no IPv6 literal. */
function ipv6Groups(host) {
  if (!host.startsWith('[') || !host.endsWith(']')) return null;
  const [head, tail, extra] = host.slice(1, -1).split('::');
  if (extra !== undefined) return null;
  const read = (text) => (text ? text.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const front = read(head);
  const back = tail === undefined ? [] : read(tail);
  const missing = 8 - front.length - back.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...front, ...Array(missing).fill(0), ...back];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

function isLocalIpv6(groups) {
  const zerosBefore = (index) => groups.slice(0, index).every((group) => group === 0);
  if (zerosBefore(7) && groups[7] === 1) return true; // ::1, loopback
  if (zerosBefore(5) && groups[5] === 0xffff) {
    // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address decides
    return isLocalIpv4([groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff]);
  }
  return (groups[0] & 0xfe00) === 0xfc00 || (groups[0] & 0xffc0) === 0xfe80; // unique local, link-local
}

/** True for a host on the user's own machine or network (see the rules above). */
export function isLocalHost(hostname) {
  const host = String(hostname ?? '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (!host) return false;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const octets = ipv4Octets(host);
  if (octets) return isLocalIpv4(octets);
  const groups = ipv6Groups(host);
  if (groups) return isLocalIpv6(groups);
  return LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix));
}
