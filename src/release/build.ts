import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { isXccError } from '../errors.js';
import { makeDirectory, writeFileAtomic } from '../fs-atomic.js';
import { checkExpectations, parseExpectations } from '../inspect/expect.js';
import { inspectFile } from '../inspect/report.js';
import { projectToolchain } from '../toolchain/project-toolchain.js';
import type { Toolchain } from '../toolchain/provision.js';
import type { InstallEvent } from '../zig/events.js';
import { goCgoFlags } from './cgo-flags.js';
import { CHECKSUMS_FILE, formatChecksums, hashFile } from './checksums.js';
import { formatManifest, MANIFEST_FILE, type ManifestArtifact } from './manifest.js';
import {
  goBuildArgs,
  type PlannedTarget,
  type PlanOptions,
  planRelease,
  type ReleasePlan,
  releaseExpectations,
  releaseLinkEnv,
} from './plan.js';
import { runPool } from './pool.js';

export interface ReleaseOptions extends PlanOptions {
  /** A GOCACHE for the builds (say, an empty directory for a cold second build). */
  goCache?: string;
  /** How many go builds run at once; default min(available cores, targets). */
  concurrency?: number;
  /** xcc's home (the toolchains); default XCC_HOME or the user cache. */
  home?: string;
  /** A plan from planRelease (the CLI checks it before building); made from these options otherwise. */
  plan?: ReleasePlan;
  onEvent?: (event: ReleaseEvent) => void;
}

export type ReleaseEvent =
  | InstallEvent
  | { type: 'target-start'; target: string; file: string }
  | { type: 'target-done'; result: TargetResult };

export type TargetResult =
  | { ok: true; target: string; port: string; file: string; artifact: ManifestArtifact; durationMs: number }
  | {
      ok: false;
      target: string;
      port: string;
      file: string;
      /** Where it failed: getting the toolchain, go build, or the artifact's checks. */
      stage: 'toolchain' | 'build' | 'check';
      /** One line. */
      reason: string;
      /** go build's output (its last 64 KiB), empty for the other stages. */
      log: string;
      durationMs: number;
    };

export interface ReleaseResult {
  plan: ReleasePlan;
  /** In the plan's order (sorted by target id). */
  results: TargetResult[];
  /** Written even when targets failed, listing the ones that did not. */
  checksums: string;
  manifest: string;
  ok: boolean;
}

const LOG_LIMIT = 64 * 1024;

/**
 * `xcc build`: go build of one main package for each target, several at once, into `outDir`; each
 * artifact inspected against its target (a wrong one fails its target and is deleted), then
 * `checksums.txt` and `manifest.json` for the ones that passed. A failing target never stops the others.
 * Nothing is printed: progress goes to `onEvent`. The plan (planRelease's, made from these options when
 * not given) has refused a library build mode before anything is made.
 */
export async function buildRelease(options: ReleaseOptions): Promise<ReleaseResult> {
  const baseEnv = options.baseEnv ?? process.env;
  const goEnv = { ...baseEnv, ...options.env };
  const plan = options.plan ?? (await planRelease(options));
  const onEvent = options.onEvent ?? (() => {});
  const started = new Map<string, number>();
  const toolchains: Array<Toolchain | TargetResult> = [];
  // One after another: the first may install the Zig, and a warm one takes milliseconds.
  for (const planned of plan.targets) {
    started.set(planned.target.id, Date.now());
    try {
      toolchains.push(
        await projectToolchain({
          target: planned.request,
          spec: options.spec,
          cwd: plan.dir,
          env: baseEnv,
          home: options.home,
          onEvent,
        }),
      );
    } catch (error) {
      if (!isXccError(error)) throw error;
      toolchains.push(failure(planned, 'toolchain', error.message, '', started));
    }
  }
  await makeDirectory(plan.outDir);
  // Asked once: the go env file is the same for every target, and the toolchains set no C flags.
  const { CGO_LDFLAGS: cgoLdflags } = await goCgoFlags(goEnv, { go: options.go, cwd: plan.dir });
  const concurrency = options.concurrency ?? Math.min(availableParallelism(), plan.targets.length);
  const results = await runPool(plan.targets, concurrency, async (planned, index) => {
    const toolchain = toolchains[index]!;
    if ('ok' in toolchain) {
      onEvent({ type: 'target-done', result: toolchain });
      return toolchain;
    }
    onEvent({ type: 'target-start', target: planned.target.id, file: planned.file });
    started.set(planned.target.id, Date.now());
    const result = await buildOne(plan, planned, toolchain, options, cgoLdflags, started);
    onEvent({ type: 'target-done', result });
    return result;
  });
  const artifacts = results.flatMap((result) => (result.ok ? [result.artifact] : []));
  const checksums = path.join(plan.outDir, CHECKSUMS_FILE);
  const manifest = path.join(plan.outDir, MANIFEST_FILE);
  await writeFileAtomic(checksums, formatChecksums(artifacts));
  await writeFileAtomic(manifest, formatManifest(artifacts));
  return { plan, results, checksums, manifest, ok: results.every((result) => result.ok) };
}

async function buildOne(
  plan: ReleasePlan,
  planned: PlannedTarget,
  toolchain: Toolchain,
  options: ReleaseOptions,
  cgoLdflags: string,
  started: Map<string, number>,
): Promise<TargetResult> {
  const output = path.join(plan.outDir, planned.file);
  // What an earlier build left under this name must not pass for this build's artifact.
  await rm(output, { force: true });
  const env: NodeJS.ProcessEnv = {
    ...(options.baseEnv ?? process.env),
    ...toolchain.env,
    ...options.env,
    ...(options.goCache === undefined ? {} : { GOCACHE: options.goCache }),
  };
  const args = goBuildArgs({
    userFlags: options.goFlags ?? [],
    goflags: env.GOFLAGS,
    output,
    packages: plan.packages,
  });
  const ran = await runGo(options.go ?? 'go', args, plan.dir, {
    ...env,
    ...releaseLinkEnv(args, cgoLdflags),
  });
  if (ran.code !== 0) {
    // The first line that says error (a C compiler's own, or go's), else go's last.
    const lines = ran.log.trim().split('\n');
    const why = (lines.find((line) => /\berror\b/i.test(line)) ?? lines.at(-1) ?? '').trim();
    const reason = ran.startError ?? `go build exited ${ran.code}${why === '' ? '' : `: ${why}`}`;
    return failure(planned, 'build', reason, ran.log, started);
  }
  try {
    const images = await inspectFile(output);
    const failed = checkExpectations(
      images,
      parseExpectations(releaseExpectations(toolchain.target).join(',')),
    )
      .filter((result) => !result.ok)
      .map((result) => `expected ${result.expectation}, but it is ${result.actual}`);
    if (failed.length > 0) {
      await rm(output, { force: true });
      return failure(planned, 'check', `${planned.file}: ${failed.join('; ')}`, ran.log, started);
    }
    const facts = images[0]!;
    const { sha256, size } = await hashFile(output);
    const artifact: ManifestArtifact = {
      target: toolchain.target.id,
      port: toolchain.target.port,
      file: planned.file,
      sha256,
      size,
      go: facts.go?.version ?? null,
      zig: toolchain.zig.version,
      linkage: facts.linkage,
      libc: toolchain.target.libc,
      glibc: facts.glibc?.version ?? null,
    };
    return {
      ok: true,
      target: planned.target.id,
      port: planned.target.port,
      file: planned.file,
      artifact,
      durationMs: Date.now() - started.get(planned.target.id)!,
    };
  } catch (error) {
    if (!isXccError(error)) throw error;
    await rm(output, { force: true });
    return failure(planned, 'check', error.message, ran.log, started);
  }
}

function failure(
  planned: PlannedTarget,
  stage: 'toolchain' | 'build' | 'check',
  reason: string,
  log: string,
  started: Map<string, number>,
): TargetResult {
  return {
    ok: false,
    target: planned.target.id,
    port: planned.target.port,
    file: planned.file,
    stage,
    reason,
    log,
    durationMs: Date.now() - (started.get(planned.target.id) ?? Date.now()),
  };
}

/** go build with its output collected (both streams, in order, the last 64 KiB), never thrown. */
function runGo(
  go: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; log: string; startError?: string }> {
  return new Promise((resolve) => {
    let log = '';
    const collect = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.length > 2 * LOG_LIMIT) log = log.slice(-LOG_LIMIT);
    };
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: null, log, startError: `cannot run ${go}: ${error.code ?? error.message}` }),
    );
    child.once('close', (code, signal) =>
      resolve({ code: code ?? (signal === null ? 1 : 128), log: log.slice(-LOG_LIMIT) }),
    );
  });
}
