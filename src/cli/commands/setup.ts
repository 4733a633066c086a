import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { xccHome } from '../../home.js';
import { provisionDispatcher } from '../dispatch-targets.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { singleValue } from '../target-options.js';

interface SetupFlags {
  zig?: string[];
  undo?: boolean;
  quiet?: boolean;
}

export function registerSetup(cli: CAC): void {
  cli
    .command(
      'setup [...targets]',
      "Set go env CC, CXX and CGO_ENABLED to one CC for TARGETS (default: the project's), so a plain GOOS=... go build cross-compiles",
    )
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option('--undo', 'Put back the CC, CXX and CGO_ENABLED go env had before xcc setup')
    .option('--quiet', 'No progress output while provisioning')
    .example('  xcc setup linux/arm64 windows/amd64 && GOOS=linux GOARCH=arm64 go build .')
    .example('  xcc setup --undo')
    .action(async (targets: string[], flags: SetupFlags) => {
      const { applySetup, planSetup, undoSetup } = await import('../../toolchain/go-env.js');
      const home = xccHome();
      const say = (text: string) => {
        if (!flags.quiet) process.stderr.write(`xcc: ${text}\n`);
      };
      if (flags.undo) {
        if (targets.length > 0) throw new UsageError("--undo takes no targets; run 'xcc setup --undo'");
        const undone = await undoSetup({ env: process.env, home });
        if (undone.nothing) return say(`nothing to undo: xcc setup has not changed ${undone.goenv}`);
        const names = Object.entries(undone.restored).map(
          ([name, value]) => `${name}${value === null ? ' (unset)' : `=${value}`}`,
        );
        say(`restored ${names.join(', ') || 'nothing'} in ${undone.goenv}`);
        if (undone.kept.length > 0)
          say(`left ${undone.kept.join(', ')} as they are: changed since xcc setup wrote them`);
        return;
      }
      const plan = await planSetup({ env: process.env, home });
      const reporter = stderrReporter(flags);
      try {
        const dispatcher = await provisionDispatcher({
          targets,
          zig: singleValue('--zig', flags.zig),
          reporter,
          command: 'xcc setup',
          previous: plan.previous,
        });
        await applySetup({
          env: process.env,
          home,
          plan,
          written: { CC: dispatcher.env.CC, CXX: dispatcher.env.CXX, CGO_ENABLED: '1' },
        });
        const { host } = dispatcher.record;
        say(
          `go env CC and CXX now dispatch ${dispatcher.record.targets.join(', ')} by GOOS/GOARCH (other ${host.goos}/${host.goarch} builds: ${host.cc.join(' ')}); undo with 'xcc setup --undo'`,
        );
        for (const name of ['CC', 'CXX', 'CGO_ENABLED'] as const) {
          const value = process.env[name];
          if (value !== undefined && value !== '')
            say(
              `${name}=${value} is exported in this shell and overrides go env; unset it for the dispatcher to be used`,
            );
        }
      } finally {
        reporter.close();
      }
    });
}
