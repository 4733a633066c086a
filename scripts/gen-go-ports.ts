/**
 * Regenerates the Go part of toolchains/targets.json from the installed Go:
 *   npx tsx scripts/gen-go-ports.ts
 * `goPorts` is replaced by `go tool dist list -json`; every other field is kept. A new port gets an
 * `unsupported` tier saying why (no cgo, or no zig mapping yet) so that the table stays complete;
 * tiers of ports Go no longer lists are dropped. Both are reported.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { GoPort, Libc, TargetsData, TierEntry } from '../src/resolve/data.js';
import { formatJson } from './format-json.js';

interface DistListEntry {
  GOOS: string;
  GOARCH: string;
  CgoSupported: boolean;
  FirstClass: boolean;
}

const file = new URL('../toolchains/targets.json', import.meta.url);

function goPorts(): GoPort[] {
  const list = JSON.parse(
    execFileSync('go', ['tool', 'dist', 'list', '-json'], { encoding: 'utf8' }),
  ) as DistListEntry[];
  return list.map((entry) => ({
    goos: entry.GOOS,
    goarch: entry.GOARCH,
    cgoSupported: entry.CgoSupported,
    firstClass: entry.FirstClass,
  }));
}

function offeredLibcs(data: TargetsData, port: GoPort): Libc[] {
  const rules = data.abis.filter((rule) => rule.goos === port.goos && rule.goarch.includes(port.goarch));
  return [...new Set(rules.map((rule) => rule.libc))];
}

/** Tiers a port lacks: one per libc it offers, or one for the port when it offers none. */
function missingTiers(data: TargetsData, port: GoPort): TierEntry[] {
  const name = `${port.goos}/${port.goarch}`;
  const libcs = port.cgoSupported ? offeredLibcs(data, port) : [];
  const has = (libc: Libc | undefined) => data.tiers.some((tier) => tier.port === name && tier.libc === libc);
  if (libcs.length === 0) {
    const reason = port.cgoSupported
      ? 'new Go port: toolchains/targets.json has no zig mapping for it yet'
      : 'Go has no cgo for this port (CgoSupported=false)';
    return has(undefined) ? [] : [{ port: name, tier: 'unsupported', reason }];
  }
  const reason = 'not yet checked with zig (run scripts/check-targets-with-zig.ts)';
  return libcs
    .filter((libc) => !has(libc))
    .map((libc) => ({ port: name, libc, tier: 'unsupported', reason }));
}

const data = JSON.parse(readFileSync(file, 'utf8')) as TargetsData;
const ports = goPorts();
const names = new Set(ports.map((port) => `${port.goos}/${port.goarch}`));
const added = ports.flatMap((port) => missingTiers(data, port));
const dropped = data.tiers.filter((tier) => !names.has(tier.port));

data.goPorts = {
  ...data.goPorts,
  goVersion: execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim(),
  ports,
};
data.tiers = [...data.tiers.filter((tier) => names.has(tier.port)), ...added];
writeFileSync(file, formatJson(data));

console.log(`${ports.length} Go ports from ${data.goPorts.goVersion}`);
for (const tier of added)
  console.log(`added tier: ${tier.port} ${tier.libc ?? ''} unsupported (${tier.reason})`);
for (const tier of dropped)
  console.log(`dropped tier: ${tier.port} ${tier.libc ?? ''} (Go no longer lists it)`);
