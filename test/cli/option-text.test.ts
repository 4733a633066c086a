import { describe, expect, it } from 'vitest';
import { createCli } from '../../src/cli/main.js';
import { protectTextValues } from '../../src/cli/option-text.js';

async function parse(argv: string[]) {
  const cli = await createCli();
  cli.parse(['node', 'xcc', ...protectTextValues(argv, cli)], { run: false });
  return { args: cli.args, options: cli.options };
}

describe('text options reach commands exactly as typed', () => {
  it.each([
    [['targets', 'linux/amd64', '--glibc=2.30'], { glibc: ['2.30'] }],
    [['targets', 'linux/amd64', '--glibc', '2.30'], { glibc: ['2.30'] }],
    [['targets', 'linux/amd64', '--glibc'], { glibc: [''] }],
    [['targets', 'linux/amd64', '--glibc', '--json'], { glibc: [''], json: true }],
    [['targets', 'linux/arm', '--goarm', '7'], { goarm: ['7'] }],
    [['targets', 'linux/arm', '--goarm=07'], { goarm: ['07'] }],
    [['targets', 'linux/amd64', '--zig', '0.20.0', '--zig=1e3'], { zig: ['0.20.0', '1e3'] }],
    [['targets', 'darwin/arm64', '--macos-sdk', '/sdk'], { macosSdk: ['/sdk'] }],
  ])('%j', async (argv, expected) => {
    expect((await parse(argv)).options).toMatchObject(expected);
  });

  it('leaves positional arguments and everything after -- alone', async () => {
    const { args, options } = await parse(['targets', '2.30', '--json', '--', '--glibc', '2.30']);
    expect(args).toEqual(['2.30']);
    expect(options['--']).toEqual(['--glibc', '2.30']);
  });
});
