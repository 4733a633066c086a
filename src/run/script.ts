import path from 'node:path';
import { crypto } from '../lazy-crypto.js';
import type { Target } from '../resolve/index.js';
import { shQuote } from '../toolchain/render.js';
import { shWord } from '../toolchain/wrappers.js';
import type { QemuPlan, RunnerPlan, WinePlan } from './plan.js';
import { WINE_PRNG_STUB_C } from './wine-stub.js';

/**
 * The runner program, `go_<goos>_<goarch>_exec PROGRAM ARGS...`, as POSIX sh: Go runs it for `go test`
 * and `go run` when the target is not the go command's own, `xcc run` runs it for built binaries. Like
 * the CC wrappers it never starts Node: what is installed (qemu, a glibc for -L, Wine) is looked up when
 * it runs, and a missing piece is one line on stderr naming its package, exit 1.
 *
 * With XCC_RUNNER_EXPLAIN set and no program, it prints how it would run programs (`xcc doctor`), or the
 * missing piece, and exits 0 or 1.
 */
export interface RunnerScriptOptions {
  target: Target;
  plan: RunnerPlan;
  /** The target's CC wrapper: builds Wine's ProcessPrng stand-in. */
  cc: string;
  /** Where Wine prefixes live (`<home>/v1/wine`). */
  wineRoot: string;
}

export function renderRunnerScript(options: RunnerScriptOptions): string {
  const { target, plan } = options;
  const lines = [
    '#!/bin/sh',
    `# Runs ${target.port} programs on this host (${describe(plan)}), for go test, go run and xcc run.`,
    '# Written by xcc; rewritten when its inputs change, so do not edit.',
    'xcc_fail() { printf \'xcc: %s\\n\' "$1" >&2; exit 1; }',
    `if [ -z "\${XCC_RUNNER_EXPLAIN-}" ] && [ "$#" -eq 0 ]; then`,
    `  printf '%s\\n' ${shWord(`usage: ${path.basename(runnerFileName(target))} PROGRAM [ARGS...]`)} >&2; exit 2`,
    'fi',
  ];
  const cannot = `cannot run ${target.port} programs here`;
  switch (plan.kind) {
    case 'none':
      lines.push(`xcc_fail ${shWord(`${cannot}: ${plan.reason}`)}`);
      break;
    case 'native':
      if (plan.needs !== undefined) {
        lines.push(
          `[ -e ${shWord(plan.needs.file)} ] || xcc_fail ${shWord(`${cannot}: no ${plan.needs.file}; install ${plan.needs.install}`)}`,
        );
      }
      lines.push(`[ -z "\${XCC_RUNNER_EXPLAIN-}" ] || { echo native; exit 0; }`, 'exec "$@"');
      break;
    case 'qemu':
      lines.push(...qemuLines(target, plan, cannot));
      break;
    case 'wine':
      lines.push(...wineLines(options, plan, cannot));
      break;
  }
  return `${lines.join('\n')}\n`;
}

/** The file name Go looks for on PATH. */
export function runnerFileName(target: Pick<Target, 'goos' | 'goarch'>): string {
  return `go_${target.goos}_${target.goarch}_exec`;
}

function describe(plan: RunnerPlan): string {
  switch (plan.kind) {
    case 'none':
      return 'it cannot';
    case 'native':
      return 'natively';
    case 'qemu':
      return `qemu-${plan.arch}${plan.sysroot === undefined ? '' : plan.sysroot.given === undefined ? ' with a glibc sysroot' : ' with the toolchain sysroot'}`;
    case 'wine':
      return 'Wine, in a private prefix';
  }
}

function qemuLines(target: Target, plan: QemuPlan, cannot: string): string[] {
  const names = [`qemu-${plan.arch}-static`, `qemu-${plan.arch}`];
  const lines = [
    'qemu=',
    `for name in ${names.map(shWord).join(' ')}; do`,
    '  if command -v "$name" >/dev/null 2>&1; then qemu=$name; break; fi',
    'done',
    `[ -n "$qemu" ] || xcc_fail ${shWord(`${cannot}: ${names[0]} is not installed (Debian/Ubuntu: apt-get install qemu-user-static)`)}`,
  ];
  if (plan.raceUnsupported) {
    // Go's build settings, embedded in every binary it links (go version -m), say -race=true; grep stops
    // at the first match and takes milliseconds on a test binary.
    lines.push(
      'if [ "$#" -gt 0 ] && [ -f "$1" ] && grep -q -F "build$(printf \'\\t\')-race=true" "$1" 2>/dev/null; then',
      `  xcc_fail "$1: "${shWord(`the race detector's ${target.port} programs cannot run under qemu-user (ThreadSanitizer: unsupported VMA range); run -race tests on ${target.goarch} hardware, or without -race under qemu`)}`,
      'fi',
    );
  }
  if (plan.sysroot?.given !== undefined) {
    // QEMU_LD_PREFIX is QEMU's own -L: a value the user set (xcc exec/run --qemu-sysroot) wins, else the
    // sysroot the program was linked against, which has its libraries (and, made from the distribution's
    // packages, its libc and loader).
    lines.push(
      `[ -n "\${QEMU_LD_PREFIX-}" ] || QEMU_LD_PREFIX=${shWord(plan.sysroot.given)}`,
      'export QEMU_LD_PREFIX',
    );
  } else if (plan.sysroot !== undefined) {
    // QEMU_LD_PREFIX is QEMU's own -L: a value the user set (xcc exec/run --qemu-sysroot) wins.
    const { dirs, install } = plan.sysroot;
    lines.push(
      `if [ -z "\${QEMU_LD_PREFIX-}" ]; then`,
      `  for dir in ${dirs.map(shWord).join(' ')}; do`,
      '    if [ -d "$dir/lib" ]; then QEMU_LD_PREFIX=$dir; break; fi',
      '  done',
      `  [ -n "\${QEMU_LD_PREFIX-}" ] || xcc_fail ${shWord(`${cannot}: no ${target.goarch} glibc for qemu's -L; install ${install} (Debian/Ubuntu), or give its directory with --qemu-sysroot DIR (QEMU_LD_PREFIX)`)}`,
      'fi',
      'export QEMU_LD_PREFIX',
    );
  }
  const cpu = plan.cpu === undefined ? [] : ['-cpu', plan.cpu];
  const options = cpu.map((word) => ` ${shWord(word)}`).join('');
  lines.push(
    `[ -z "\${XCC_RUNNER_EXPLAIN-}" ] || { printf '%s\\n' "$qemu"${shQuote(options)}${plan.sysroot === undefined ? '' : '" -L $QEMU_LD_PREFIX"'}; exit 0; }`,
    `exec "$qemu"${options} "$@"`,
  );
  return lines;
}

/**
 * Wine in a private prefix under xcc's cache, made on the first run (wineboot, a few seconds) with the
 * ProcessPrng stand-in built by this toolchain's CC. Several runs may start at once (go test runs
 * packages in parallel): one prepares under a lock directory holding its PID, the others wait, and a lock
 * whose holder died is taken over. The prefix counts as ready only once its marker is written, so an
 * interrupted preparation is done again, never used half-made.
 */
function wineLines(options: RunnerScriptOptions, plan: WinePlan, cannot: string): string[] {
  const stubId = crypto().createHash('sha256').update(WINE_PRNG_STUB_C).digest('hex').slice(0, 10);
  const prefix = path.join(options.wineRoot, 'prefix');
  const system = plan.bits === 64 ? 'system32' : 'syswow64';
  const ready = path.join(prefix, `.xcc-prng-${stubId}-${plan.bits}`);
  const lines = [
    'wine=',
    'for name in wine wine64; do',
    '  if command -v "$name" >/dev/null 2>&1; then wine=$name; break; fi',
    'done',
    `[ -n "$wine" ] || xcc_fail ${shWord(`${cannot}: wine is not installed (Debian/Ubuntu: apt-get install wine wine64${plan.bits === 32 ? ' wine32:i386' : ''})`)}`,
  ];
  if (plan.bits === 32) {
    // Debian's wine64 package alone has no 32-bit loader; its `wine` would print a hint on every run.
    lines.push(
      `if [ -x /usr/lib/wine/wine64 ] && [ ! -x /usr/lib/wine/wine ]; then xcc_fail ${shWord(`${cannot}: 32-bit Wine is not installed (Debian/Ubuntu: dpkg --add-architecture i386 && apt-get install wine32:i386)`)}; fi`,
    );
  }
  lines.push(
    `WINEPREFIX=${shWord(prefix)}; export WINEPREFIX`,
    // No debug chatter (nor Debian's wine32 hint), no Mono or Gecko installer: a value the user set wins.
    `[ -n "\${WINEDEBUG-}" ] || WINEDEBUG=-all`,
    `[ -n "\${WINEDLLOVERRIDES-}" ] || WINEDLLOVERRIDES='mscoree,mshtml='`,
    'export WINEDEBUG WINEDLLOVERRIDES',
    `xcc_ready=${shWord(ready)}`,
    // A prefix belongs to the Wine that made it: with Debian's wine32 added later, \`wine\` takes the 32-bit
    // loader, which cannot start in a prefix made without it ("could not load kernel32.dll"). So the
    // prefix records which Wine booted it (\`wine --version\` takes milliseconds) and is made again for another.
    'xcc_wine_id=$("$wine" --version 2>/dev/null)',
    '[ ! -x /usr/lib/wine/wine ] || xcc_wine_id="$xcc_wine_id, 32-bit loader"',
    'xcc_wine_ready() {',
    '  booted=',
    '  [ -f "$xcc_ready" ] && read -r booted 2>/dev/null <"$WINEPREFIX/.xcc-booted"',
    '  [ "$booted" = "$xcc_wine_id" ]',
    '}',
    `if [ -n "\${XCC_RUNNER_EXPLAIN-}" ]; then`,
    '  if xcc_wine_ready; then state=ready; else state="made on the first run"; fi',
    `  printf '%s\\n' "$wine, prefix $WINEPREFIX ($state)"; exit 0`,
    'fi',
    // A subshell: its umask and traps do not reach the program.
    'xcc_prepare_wine() (',
    '  umask 077',
    `  mkdir -p ${shWord(options.wineRoot)} || exit 1`,
    '  lock="$WINEPREFIX.lock"; waited=0',
    '  until mkdir "$lock" 2>/dev/null; do',
    '    ! xcc_wine_ready || exit 0',
    '    holder=$(cat "$lock/pid" 2>/dev/null)',
    '    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -rf "$lock"; continue; fi',
    '    waited=$((waited + 1))',
    '    [ "$waited" -lt 600 ] || xcc_fail "waited 10 minutes for $lock; remove it if no xcc runner is preparing Wine"',
    '    sleep 1',
    '  done',
    '  echo "$$" >"$lock/pid"',
    '  work="$WINEPREFIX/.xcc-prng-$$"',
    // From here on, whatever happens, the lock and a half-built stand-in go.
    '  trap \'rm -rf "$lock" "$work"\' EXIT',
    "  trap 'exit 1' HUP INT TERM",
    '  ! xcc_wine_ready || exit 0',
    '  booted=; read -r booted 2>/dev/null <"$WINEPREFIX/.xcc-booted"',
    '  if [ "$booted" != "$xcc_wine_id" ]; then',
    `    printf '%s\\n' "xcc: making a Wine prefix in $WINEPREFIX (once)" >&2`,
    // Twice at most: a wineboot that failed once (seen once on a fresh machine, not reproduced) is tried
    // again from nothing before the run fails. kernel32.dll is there only when wineboot got through: it
    // makes the directories before it fails, and a prefix without it cannot start any program. Wine finds
    // a prefix's server by the directory's device and inode, so the server goes before the directory (it
    // would write into it while it goes), and once more after the new one is made: a server still running
    // for a deleted prefix whose inode the new directory reuses would serve it, and wineboot would fail.
    '    xcc_stop_server() { ! command -v wineserver >/dev/null 2>&1 || wineserver -k >/dev/null 2>&1; }',
    '    tries=0',
    '    while :; do',
    '      xcc_stop_server; rm -rf "$WINEPREFIX" 2>/dev/null',
    '      mkdir "$WINEPREFIX" || exit 1',
    '      xcc_stop_server',
    '      WINEARCH=win64 DISPLAY= "$wine" wineboot --init >/dev/null 2>&1',
    `      [ ! -f "$WINEPREFIX/drive_c/windows/${system}/kernel32.dll" ] || break`,
    '      tries=$((tries + 1))',
    `      [ "$tries" -lt 2 ] || xcc_fail "wineboot --init did not make a Wine prefix in $WINEPREFIX (no kernel32.dll); run it yourself to see why: WINEPREFIX=$WINEPREFIX wineboot --init"`,
    '    done',
    `    printf '%s\\n' "$xcc_wine_id" >"$WINEPREFIX/.xcc-booted"`,
    '  fi',
    '  rm -rf "$work"; mkdir "$work" || exit 1',
    '  cat >"$work/prng.c" <<\'XCC_PRNG_STUB\'',
    WINE_PRNG_STUB_C.trimEnd(),
    'XCC_PRNG_STUB',
    `  if ! ${shWord(options.cc)} -shared -O2 -o "$work/bcryptprimitives.dll" "$work/prng.c" >"$work/log" 2>&1; then`,
    '    tail -n 5 "$work/log" >&2',
    '    xcc_fail "could not build the ProcessPrng stand-in for Wine (above); check the Zig toolchain with xcc doctor"',
    '  fi',
    // A rename in the same directory tree: the DLL is there whole or not at all.
    `  mv -f "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/${system}/bcryptprimitives.dll" || exit 1`,
    '  : >"$xcc_ready"',
    ')',
    'xcc_wine_ready || xcc_prepare_wine || exit 1',
    'exec "$wine" "$@"',
  );
  return lines;
}
