/**
 * A process that uses the store the way `xcc install` will, for the cross-process tests.
 * Usage: node --import tsx test/support/store-racer.ts <mode> <version> [work-log]
 *   ensure        install <version> (build: $RACER_FILES files, slowly), append our pid to <work-log> when building,
 *                 print {"built":..., "dir":...}
 *   build-forever start building <version>, print "building" once the stage has files, then hang
 *   hold          take the lock of <version>, print "locked", then hang
 * The cache is $XCC_HOME. Waiting for another process is reported on stderr.
 */
import { appendFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/zig/store/store.js';

const files = Number(process.env.RACER_FILES ?? 40);
const [mode, version = '', workLog = ''] = process.argv.slice(2);
const store = openStore({ lockTimings: { pollMs: 50 } });
const onWait = ({ owner }: { owner?: { pid: number } }) =>
  process.stderr.write(`waiting for pid ${owner?.pid ?? '?'} installing ${version}\n`);
const hang = () => new Promise(() => setInterval(() => undefined, 1 << 30));

async function build(stage: string, forever: boolean) {
  if (workLog) appendFileSync(workLog, `${process.pid}\n`);
  for (let i = 0; i < files; i++) {
    await writeFile(path.join(stage, `file-${i}`), `${version} ${i}\n`);
    if (i === 10 && forever) {
      process.stdout.write('building\n');
      await hang();
    }
    await sleep(Number(process.env.RACER_DELAY_MS ?? 5));
  }
  return {
    host: 'x86_64-linux',
    source: 'test',
    url: `http://127.0.0.1/zig-${version}.tar.xz`,
    sha256: '0'.repeat(64),
  };
}

if (mode === 'ensure' || mode === 'build-forever') {
  const { install, built } = await store.ensure(version, (stage) => build(stage, mode === 'build-forever'), {
    onWait,
  });
  process.stdout.write(`${JSON.stringify({ built, dir: install.dir, pid: process.pid })}\n`);
} else if (mode === 'hold') {
  await store.lock(`zig-${version}`, { onWait });
  process.stdout.write('locked\n');
  await hang();
} else {
  throw new Error(`unknown mode ${mode}`);
}
