/**
 * Which IP addresses are public. Names of the built-in Microsoft hosts must resolve to public
 * addresses only (a rebinding or poisoned DNS answer must not aim the relay at the LAN or at
 * itself). Special-purpose ranges per the IANA registries (RFC 6890 and successors).
 *
 * @module
 */
import { isIP } from 'node:net'

const V4_PRIVATE: [number, number][] = [
  ['0.0.0.0', 8], // "this network" (RFC 791)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
].map(([a, bits]) => [v4ToInt(a as string), bits as number])

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function v4IsPublic(ip: string): boolean {
  const n = v4ToInt(ip)
  return !V4_PRIVATE.some(([base, bits]) => {
    const size = 2 ** (32 - bits)
    return n >= base && n < base + size
  })
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 expanded). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '')
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4?.[1]) {
    const n = v4ToInt(v4[1])
    text = text.slice(0, -v4[1].length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const a = head ? head.split(':') : []
  const b = tail !== undefined && tail !== '' ? tail.split(':') : []
  const fill = tail !== undefined ? Array(8 - a.length - b.length).fill('0') : []
  return [...a, ...fill, ...b].map((g) => parseInt(g, 16))
}

function v6IsPublic(ip: string): boolean {
  const g = v6Groups(ip)
  const [g0 = 0, g1 = 0, , , , g5 = 0, g6 = 0, g7 = 0] = g
  const allZeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (allZeroUpTo(8)) return false // ::
  if (allZeroUpTo(7) && g7 === 1) return false // ::1
  const embedded = `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`
  if (allZeroUpTo(5) && g5 === 0xffff) return v4IsPublic(embedded) // ::ffff:a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b) return v4IsPublic(embedded) // NAT64 (RFC 6052)
  if ((g0 & 0xfe00) === 0xfc00) return false // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return false // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return false // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return false // documentation
  if (g0 === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return false // discard 100::/64
  return true
}

/** Whether `ip` (v4 or v6 literal) is a public unicast address. Non-addresses are not public. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip.replace(/%.*$/, ''))
  if (family === 4) return v4IsPublic(ip)
  if (family === 6) return v6IsPublic(ip)
  return false
}
