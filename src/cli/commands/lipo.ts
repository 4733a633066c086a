import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { textValue } from '../option-text.js';
import { singleValue } from '../target-options.js';

interface LipoFlags {
  output?: string[];
}

/** `xcc lipo -o OUT IN...`: one universal macOS file from the darwin/amd64 and darwin/arm64 builds. */
export function registerLipo(cli: CAC): void {
  cli
    .command(
      'lipo [...inputs]',
      'Merge darwin builds of different architectures into one universal (fat) Mach-O file (lipo -create)',
    )
    .option('-o, --output <file>', 'The universal file to write (replaced atomically, mode 0755)', {
      type: [textValue],
    })
    .example('  xcc lipo -o dist/app dist/app-darwin-amd64 dist/app-darwin-arm64')
    .action(async (inputs: string[], flags: LipoFlags) => {
      const output = singleValue('--output', flags.output);
      if (output === undefined) throw new UsageError("lipo needs the output file: 'xcc lipo -o OUT IN1 IN2'");
      const { lipo } = await import('../../inspect/lipo.js');
      await lipo({ inputs: inputs.map(String), output });
    });
}
