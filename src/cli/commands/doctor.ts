import type { CAC } from 'cac';
import { chooseZig, namingZigVersion } from '../../toolchain/zig-choice.js';
import { zigHostKey } from '../../zig/host.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { addTargetOptions, singleValue, type TargetOptionValues, targetRequest } from '../target-options.js';

type DoctorFlags = TargetOptionValues & { zig?: string[]; json?: boolean; strict?: boolean; quiet?: boolean };

/**
 * `xcc doctor [TARGET...]`: checks Go, its settings, Zig, the cache, the network, a real build per target
 * and what runs its programs here.
 */
export function registerDoctor(cli: CAC): void {
  const command = cli
    .command(
      'doctor [...targets]',
      'Check Go, go env, Zig, the cache, the network, and per TARGET a real cgo build and how its programs run here',
    )
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option('--json', 'Print a JSON report (a stable shape, for CI)')
    .option('--strict', 'Exit 1 on warnings too, not only on failures')
    .option('--quiet', 'No progress output while provisioning');
  addTargetOptions(command)
    .example('  xcc doctor')
    .example('  xcc doctor linux/arm64 linux/amd64 --glibc=2.28')
    .example('  xcc doctor windows/amd64 --json')
    .action(async (targets: string[], flags: DoctorFlags) => {
      process.exitCode = await runDoctorCommand(targets, flags);
    });
}

async function runDoctorCommand(targets: string[], flags: DoctorFlags): Promise<number> {
  const env = process.env;
  const choice = chooseZig({ spec: singleValue('--zig', flags.zig), host: zigHostKey(), env });
  const requests = targets.map((target) => targetRequest(target, flags, env));
  // Bad targets and a malformed --zig are usage errors before anything runs, not failed checks.
  const { parseVersionSpec } = await import('../../zig/releases/releases.js');
  if (choice.spec !== undefined) parseVersionSpec(choice.spec);
  const { resolveTarget } = await import('../../resolve/index.js');
  const zigVersion = namingZigVersion(choice);
  for (const request of requests) resolveTarget(request, { zigVersion });

  const { runDoctor } = await import('../../doctor/index.js');
  const { renderCheck, renderJson, renderSummary } = await import('../../doctor/render.js');
  const reporter = stderrReporter(flags, env);
  let report: Awaited<ReturnType<typeof runDoctor>>;
  try {
    report = await runDoctor({
      env,
      targets: requests,
      zigSpec: choice.spec,
      locked: choice.locked,
      onEvent: reporter.handle,
      onCheck: flags.json ? undefined : (check) => process.stdout.write(renderCheck(check)),
    });
  } finally {
    reporter.close();
  }
  process.stdout.write(flags.json ? renderJson(report) : renderSummary(report));
  const failed = report.counts.fail > 0 || (flags.strict === true && report.counts.warn > 0);
  return failed ? 1 : 0;
}
