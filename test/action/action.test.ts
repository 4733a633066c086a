import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNode, PLAN_OUTPUTS, SETUP_OUTPUTS } from '../../src/action/main.js';
import { ACTION_INPUTS } from '../../src/action/plan.js';
import { inputEnvName } from '../../src/action/runner.js';
import { type ActionYml, type RunnerDirs, runCompositeAction } from '../support/actions-runner.js';
import { runAsync } from '../support/builds.js';
import { parseGithubEnv } from '../support/env-readers.js';
import { projectRoot } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';
import { needYaml, parseYaml } from '../support/yaml.js';
import { startZigSources, type ZigSources } from '../support/zig-mirror.js';

/**
 * The GitHub Action as a workflow runs it: action.yml's steps through a runner that evaluates its
 * expressions and file commands as GitHub's does (test/support/actions-runner.ts), running the committed
 * bundle (dist-action/index.cjs, kept current by bundle.test.ts) with the runner's environment, the Zig
 * from a signed mirror on 127.0.0.1, and the runner's directories under a path with a space, a quote and
 * `$`. Then `go build` in the job's environment as the runner leaves it for later steps.
 */

let sources: ZigSources | undefined;
let root: string;
/**
 * One tool cache for the file, as on a self-hosted runner: the Zig is installed once. Emptied at every run,
 * so the Zig comes through the mirror each time, but at a fixed path (as test/e2e's home), so that zig's
 * build cache (keyed on the Zig's lib directory) and GOCACHE (keyed on $CC's path) stay warm across runs.
 */
const toolCache = path.join(testCacheDir(), 'action', "tool cache it's $HOME");

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "xcc action it's $HOME-"));
  await rm(toolCache, { recursive: true, force: true });
  const zig = providedTestZig();
  if (zig) sources = await startZigSources(zig, testZigBuildCache());
});
afterAll(async () => {
  await sources?.close();
  await rm(root, { recursive: true, force: true });
  await rm(toolCache, { recursive: true, force: true });
});

function actionYml(): ActionYml {
  return parseYaml(readFileSync(path.join(projectRoot, 'action.yml'), 'utf8')) as ActionYml;
}

let runs = 0;
async function runnerDirs(): Promise<RunnerDirs> {
  const base = path.join(root, `run ${++runs}`);
  const dirs = { temp: path.join(base, 'temp'), toolCache, workspace: path.join(base, 'work space') };
  await Promise.all(
    [dirs.temp, dirs.toolCache, dirs.workspace].map((dir) => mkdir(dir, { recursive: true })),
  );
  return dirs;
}

/** The test process's environment without what a runner would not have: xcc settings, inputs, GitHub's files. */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(XCC_(?!E2E|TEST)|INPUT_|GITHUB_|RUNNER_)/.test(name)),
  );
  return { ...env, ...extra };
}

/** The loopback Zig sources, without XCC_HOME: the Action chooses that itself. */
function zigEnv(): Record<string, string> {
  const { XCC_HOME: _, ...env } = sources!.userEnv(path.join(root, 'unused'));
  return env;
}

async function runAction(inputs: Record<string, string>, env: NodeJS.ProcessEnv, dirs?: RunnerDirs) {
  return runCompositeAction(actionYml(), {
    actionPath: projectRoot,
    inputs,
    env,
    dirs: dirs ?? (await runnerDirs()),
  });
}

describe('action.yml', { tags: ['fast'] }, () => {
  it('declares the inputs the entry reads, passed under the names GitHub gives a JavaScript action', (context) => {
    needYaml(context);
    const action = actionYml();
    expect(Object.keys(action.inputs).sort()).toEqual([...ACTION_INPUTS].sort());
    // The entry reads no input that ACTION_INPUTS does not list.
    const read = new Set<string>();
    for (const file of readdirSync(path.join(projectRoot, 'src', 'action'))) {
      const text = readFileSync(path.join(projectRoot, 'src', 'action', file), 'utf8');
      for (const match of text.matchAll(/read(?:Boolean)?Input\(env, '([^']+)'/g)) read.add(match[1]!);
    }
    expect([...read].sort()).toEqual([...ACTION_INPUTS].sort());
    const runSteps = action.runs.steps.filter((step) => step.run !== undefined);
    expect(runSteps.map((step) => step.id)).toEqual(['plan', 'setup']);
    for (const step of runSteps) {
      expect(step.env, step.id).toEqual(
        Object.fromEntries(ACTION_INPUTS.map((name) => [inputEnvName(name), `\${{ inputs.${name} }}`])),
      );
      expect(step.run).toContain(`.run('${step.id}')`);
    }
    expect(inputEnvName('zig-version')).toBe('INPUT_ZIG-VERSION');
    expect(inputEnvName('a b')).toBe('INPUT_A_B');
  });

  it('passes on every output the setup step writes, and caches what the plan step names', (context) => {
    needYaml(context);
    const action = actionYml();
    for (const name of SETUP_OUTPUTS)
      expect(action.outputs[name]?.value).toBe(`\${{ steps.setup.outputs.${name} }}`);
    const fromPlan = Object.values(action.outputs)
      .map((output) => /^\$\{\{ steps\.plan\.outputs\.([\w-]+) \}\}$/.exec(output.value)?.[1])
      .filter((name) => name !== undefined);
    expect(fromPlan.sort()).toEqual(['cache-dir', 'cache-key']);
    const cache = action.runs.steps.find((step) => step.id === 'cache')!;
    expect(cache.uses).toMatch(/^actions\/cache@v\d+$/);
    expect(cache.if).toBe("steps.plan.outputs.cache == 'true'");
    const referenced = [cache.if!, ...Object.values(cache.with!)].flatMap((text) =>
      [...String(text).matchAll(/steps\.plan\.outputs\.([\w-]+)/g)].map((match) => match[1]!),
    );
    expect(new Set(referenced)).toEqual(new Set(PLAN_OUTPUTS));
  });
});

describe('the xcc Action in a job', { timeout: 900_000 }, () => {
  it('installs Zig, exports the env for later steps, and go build cross-builds cgo for linux/arm64 with it', async (context) => {
    needYaml(context);
    needTestZig(context);
    needCommand(context, 'go');
    const ran = await runAction({ targets: 'linux/arm64' }, baseEnv(zigEnv()));
    const [plan, cache, setup] = ran.steps;
    expect(plan!.outcome, plan!.stdout + plan!.stderr).toBe('success');
    expect(setup!.outcome, setup!.stdout + setup!.stderr).toBe('success');

    // The plan: xcc's directory in the tool cache, and a key naming the Zig, the runner and the targets.
    const home = path.join(toolCache, 'xcc');
    expect(plan!.outputs).toMatchObject({ 'cache-dir': home, cache: 'true' });
    expect(plan!.outputs['cache-key']).toMatch(/^xcc-zig-0\.15\.2-Linux-X64-[0-9a-f]{16}$/);
    expect(plan!.outputs['restore-key']).toBe('xcc-zig-0.15.2-Linux-X64-');
    expect(cache).toMatchObject({
      outcome: 'recorded',
      with: { path: home, key: plan!.outputs['cache-key'], 'restore-keys': 'xcc-zig-0.15.2-Linux-X64-' },
    });

    // The setup: grouped progress, then the variables and PATH for later steps, and the outputs.
    expect(setup!.stdout).toMatch(/^::group::xcc: Zig and toolchains for linux-arm64-musl\n/);
    expect(setup!.stdout).toContain('::endgroup::\n');
    expect(setup!.stderr).toMatch(
      /xcc: set \d+ variables for later steps \(GITHUB_ENV\) and added .* to PATH/,
    );
    const vars = parseGithubEnv(setup!.githubEnv);
    expect(vars).toMatchObject({ XCC_HOME: home, GOOS: 'linux', GOARCH: 'arm64', CGO_ENABLED: '1' });
    expect(vars.CC).toMatch(/^".*\/aarch64-linux-musl-cc"$/);
    // A random heredoc delimiter for every variable: a value cannot add lines of its own.
    expect(setup!.githubEnv).toMatch(/^XCC_HOME<<xcc_[0-9a-f]{32}\n/);
    const bin = setup!.githubPath.trim();
    expect(path.dirname(vars.CC!.slice(1, -1))).toBe(bin);
    expect(setup!.outputs).toEqual({
      'zig-version': '0.15.2',
      zig: expect.stringContaining(home),
      targets: '["linux-arm64-musl"]',
      bin,
    });
    expect(ran.outputs).toMatchObject({ 'cache-dir': home, 'zig-version': '0.15.2', bin, 'cache-hit': '' });

    // A later step: go build in the job's environment, as the runner sets it up from those files.
    const out = path.join(root, 'hello-linux-arm64');
    mustRun('go', ['build', '-o', out, '.'], {
      cwd: path.join(projectRoot, 'examples', 'hello'),
      env: ran.jobEnv,
    });
    const header = readFileSync(out).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
    needCommand(context, 'qemu-aarch64-static');
    expect(mustRun('qemu-aarch64-static', [out])).toBe('hello from linux/arm64: hypotenuse(3, 4) = 5\n');

    // The same job again (a warm tool cache): nothing downloaded, the same environment.
    const again = await runAction({ targets: 'linux/arm64' }, baseEnv(zigEnv()));
    expect(again.steps[2]!.outcome).toBe('success');
    expect(parseGithubEnv(again.steps[2]!.githubEnv)).toEqual(vars);
  });

  it("writes every target's toolchain and exports only XCC_HOME when given several", async (context) => {
    needYaml(context);
    needTestZig(context);
    const ran = await runAction(
      { targets: 'linux/arm64, windows/amd64\nlinux/amd64 --glibc=2.28' },
      baseEnv(zigEnv()),
    );
    const setup = ran.steps[2]!;
    expect(setup.outcome, setup.stdout + setup.stderr).toBe('success');
    expect(parseGithubEnv(setup.githubEnv)).toEqual({ XCC_HOME: path.join(toolCache, 'xcc') });
    expect(setup.githubPath).toBe('');
    expect(JSON.parse(setup.outputs.targets!)).toEqual([
      'linux-arm64-musl',
      'windows-amd64-mingw',
      'linux-amd64-glibc2.28',
    ]);
    expect(setup.outputs.bin).toBe('');
  });

  it("takes the project's targets from xcc.json in working-directory, and skips actions/cache with cache: false", async (context) => {
    needYaml(context);
    needTestZig(context);
    const dirs = await runnerDirs();
    await mkdir(path.join(dirs.workspace, 'app'));
    await writeFile(
      path.join(dirs.workspace, 'app', 'xcc.json'),
      JSON.stringify({ targets: [{ target: 'linux/amd64', glibc: '2.31' }] }),
    );
    const ran = await runAction({ 'working-directory': 'app', cache: 'false' }, baseEnv(zigEnv()), dirs);
    expect(ran.steps.map((step) => step.outcome)).toEqual(['success', 'skipped', 'success']);
    expect(ran.outputs.targets).toBe('["linux-amd64-glibc2.31"]');
    expect(parseGithubEnv(ran.steps[2]!.githubEnv)).toMatchObject({ GOOS: 'linux', GOARCH: 'amd64' });
  });
});

describe('the xcc Action refuses bad input with one ::error:: line', { tags: ['fast'] }, () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a command substitution after a newline',
      { targets: 'linux/arm64\n$(touch pwned)' },
      /'\$\(touch' contains '\$'/,
    ],
    ['a shell separator', { targets: 'linux/arm64; touch pwned' }, /'linux\/arm64;' contains ';'/],
    ['a backtick', { targets: 'linux/arm64 --glibc=`id`' }, /contains '`'/],
    ['an unknown target', { targets: 'linux/arm65' }, /linux\/arm65/],
    [
      'an option before any target',
      { targets: '--glibc=2.28 linux/amd64' },
      /'--glibc=2\.28' comes before any target/,
    ],
    [
      'a cache that is not a boolean',
      { targets: 'linux/arm64', cache: 'yes' },
      /input 'cache' must be true or false, got 'yes'/,
    ],
    ['no targets and no project', {}, /no targets: set the input 'targets'/],
    [
      'a zig-version with a command after a newline',
      { targets: 'linux/arm64', 'zig-version': '0.15.2\n$(touch pwned)' },
      /^::error::xcc: input 'zig-version': invalid Zig version spec "0\.15\.2%0A\$\(touch pwned\)"/,
    ],
  ];
  for (const [what, inputs, message] of cases) {
    it(what, async (context) => {
      needYaml(context);
      const ran = await runAction(inputs, baseEnv());
      const plan = ran.steps[0]!;
      expect(plan.outcome).toBe('failure');
      expect(plan.exitCode).toBe(2);
      const lines = plan.stdout.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^::error::xcc: /);
      expect(lines[0]).toMatch(message);
      expect(plan.stderr).toBe('');
      // Nothing for later steps, and the steps after it do not run.
      expect(plan.githubEnv + plan.githubPath).toBe('');
      expect(ran.steps.slice(1).map((step) => step.outcome)).toEqual(['skipped', 'skipped']);
    });
  }

  it("refuses a runner's node older than package.json's engines, naming actions/setup-node", () => {
    for (const version of ['18.20.4', '20.18.3', '21.7.3', '22.11.0'])
      expect(() => checkNode(version)).toThrow(
        `xcc needs Node.js 20.19+ or 22.12+ as 'node' on PATH, found v${version}; add actions/setup-node before this step`,
      );
    for (const version of ['20.19.0', '22.12.0', '24.11.1', process.versions.node])
      expect(() => checkNode(version)).not.toThrow();
  });

  it('outside a job (no GITHUB_ENV), says so before downloading anything', async () => {
    const bundle = path.join(projectRoot, 'dist-action', 'index.cjs');
    const ran = await runAsync('node', ['-e', `require(${JSON.stringify(bundle)}).run('setup')`], {
      env: baseEnv({ [inputEnvName('targets')]: 'linux/arm64', XCC_HOME: path.join(root, 'outside') }),
    });
    expect(ran.status).toBe(2);
    expect(ran.stdout).toBe(
      "::error::xcc: GITHUB_ENV is not set: the xcc Action runs as a step of a GitHub Actions job (outside one, use 'xcc env TARGET')\n",
    );
    expect(existsSync(path.join(root, 'outside'))).toBe(false);
  });
});
