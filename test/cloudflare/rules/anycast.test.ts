import { isIPv4, isIPv6 } from "node:net";
import t from "tap";
import {
  assignedNameservers,
  defaultAnycast,
  NAMESERVER_NAMES,
} from "../../../src/cloudflare/rules/anycast.js";

function v4Number(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function inV4Range(ip: string, base: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(v4Number(ip) / size) === Math.floor(v4Number(base) / size);
}

const origins = Array.from({ length: 500 }, (_, i) => `zone${i}.example${i % 7}.com.`);

t.test("defaultAnycast: deterministic, case- and trailing-dot-insensitive", async (t) => {
  const a = defaultAnycast("example.com.");
  t.same(defaultAnycast("example.com."), a);
  t.same(defaultAnycast("EXAMPLE.Com"), a);
  t.notSame(defaultAnycast("example.net."), a);
  t.comment(JSON.stringify(a));
});

t.test("defaultAnycast: two distinct addresses per family in Cloudflare's ranges", async (t) => {
  for (const o of origins) {
    const { ipv4, ipv6 } = defaultAnycast(o);
    t.ok(ipv4.every((ip) => isIPv4(ip)) && ipv6.every((ip) => isIPv6(ip)), o);
    t.not(ipv4[0], ipv4[1]);
    t.not(ipv6[0], ipv6[1]);
    t.ok(inV4Range(ipv4[0], "104.16.0.0", 13), `${ipv4[0]} in 104.16.0.0/13`);
    t.ok(inV4Range(ipv4[1], "172.64.0.0", 13), `${ipv4[1]} in 172.64.0.0/13`);
    for (const ip of ipv4) t.notOk(/\.(0|255)$/.test(ip), `${ip} is not .0 or .255`);
    for (const ip of ipv6) t.match(ip, /^2606:4700:/);
  }
});

t.test("defaultAnycast: IPv6 in Cloudflare's form, canonical text", async (t) => {
  const { ipv4, ipv6 } = defaultAnycast("example.com.");
  for (let i = 0; i < 2; i++) {
    const o = ipv4[i].split(".").map(Number);
    const hi = ((o[0] << 8) | o[1]).toString(16);
    const lo = ((o[2] << 8) | o[3]).toString(16);
    t.match(ipv6[i], new RegExp(`^2606:4700:303[0-7]::${hi}:${lo}$`));
  }
});

t.test("assignedNameservers: two different names, deterministic", async (t) => {
  t.ok(NAMESERVER_NAMES.length >= 40);
  t.equal(new Set(NAMESERVER_NAMES).size, NAMESERVER_NAMES.length);
  t.same(assignedNameservers("Example.com"), assignedNameservers("example.com."));
  const seen = new Set<string>();
  for (const o of origins) {
    const ns = assignedNameservers(o);
    t.equal(ns.length, 2);
    t.not(ns[0], ns[1]);
    for (const n of ns) {
      t.match(n, /^[a-z]+\.ns\.cloudflare\.com\.$/);
      seen.add(n);
    }
  }
  t.ok(seen.size > 30, "spread over the list");
});
