import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { resolveTarget } from '../../src/resolve/index.js';
import { toolchainEnvNames } from '../../src/toolchain/env-names.js';
import { projectToolchain } from '../../src/toolchain/project-toolchain.js';
import { renderEnv } from '../../src/toolchain/render.js';
import {
  checkSysroot,
  libraryScripts,
  pkgConfigEnv,
  resolveInside,
  SYSROOT_LIBS,
  sysrootLayout,
} from '../../src/toolchain/sysroot.js';
import { run } from '../support/builds.js';
import { parseEnv0 } from '../support/env-readers.js';
import { needTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { provisionForTest } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';
import { startZigSources } from '../support/zig-mirror.js';

/**
 * A sysroot's layout and links, read the way the target system would read them: links resolved inside
 * the tree (an absolute one from its root), never on the host, and never out of it. The real build against
 * a sysroot made from Debian's packages is test/cli/sysroot.test.ts.
 */

const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-sysroot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const ARM64 = resolveTarget({ target: 'linux/arm64', glibcVersion: '2.28' }, { zigVersion: '0.15.2' });
const TRIPLE = 'aarch64-linux-gnu';

let count = 0;
/** A fresh tree: `files` are written (with a line of their own), `links` made as given (relative or absolute). */
function tree(files: string[], links: Record<string, string> = {}, name = `root-${count++}`): string {
  const root = path.join(scratch, name);
  for (const file of files) {
    // A trailing slash: a directory.
    mkdirSync(path.join(root, file.endsWith('/') ? file : path.dirname(file)), { recursive: true });
    if (!file.endsWith('/')) writeFileSync(path.join(root, file), `${file}\n`);
  }
  for (const [link, target] of Object.entries(links)) {
    mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
    symlinkSync(target, path.join(root, link));
  }
  return root;
}

/** A Debian multiarch tree as `dpkg-deb -x` of libc6, zlib1g and zlib1g-dev leaves it (bookworm). */
function debianTree(name?: string): string {
  return tree(
    [
      `lib/${TRIPLE}/libc.so.6`,
      `lib/${TRIPLE}/ld-linux-aarch64.so.1`,
      `lib/${TRIPLE}/libz.so.1.2.13`,
      'usr/include/zlib.h',
      `usr/lib/${TRIPLE}/libz.a`,
      `usr/lib/${TRIPLE}/pkgconfig/zlib.pc`,
    ],
    {
      [`lib/${TRIPLE}/libz.so.1`]: 'libz.so.1.2.13',
      'lib/ld-linux-aarch64.so.1': `${TRIPLE}/ld-linux-aarch64.so.1`,
      // Debian's dev symlink: absolute, so it dangles (or, on an arm64 host, names the host's zlib).
      [`usr/lib/${TRIPLE}/libz.so`]: `/lib/${TRIPLE}/libz.so.1.2.13`,
    },
    name,
  );
}

describe('resolveInside: links as the target system reads them', () => {
  it('starts an absolute link again from the root, and follows relative ones and chains', async () => {
    const root = tree(['usr/lib/real.so', 'etc/hosts'], {
      'abs.so': '/usr/lib/real.so',
      'usr/rel.so': 'lib/real.so',
      'chain.so': '/usr/rel.so',
      'usr/lib64': '/usr/lib',
    });
    const real = path.join(root, 'usr/lib/real.so');
    expect(await resolveInside(root, 'abs.so', 'file')).toBe(real);
    expect(await resolveInside(root, 'usr/rel.so', 'file')).toBe(real);
    expect(await resolveInside(root, 'chain.so', 'file')).toBe(real);
    expect(await resolveInside(root, 'usr/lib64/real.so', 'file')).toBe(real);
    expect(await resolveInside(root, 'usr/lib64', 'directory')).toBe(path.join(root, 'usr/lib'));
    // Of the kind asked for only.
    expect(await resolveInside(root, 'usr/lib64', 'file')).toBeUndefined();
    expect(await resolveInside(root, 'abs.so', 'directory')).toBeUndefined();
  });

  it('refuses a link that climbs out of the root, a loop, and a dangling link', async () => {
    // The host file the escaping links would reach exists: only the refusal keeps them out.
    const outside = path.join(scratch, 'outside.so');
    writeFileSync(outside, 'host\n');
    const root = tree([], {
      'up.so': '../outside.so',
      'lib/deep.so': '../../outside.so',
      'lib/dots.so': '/lib/../../outside.so',
      'loop.so': 'loop.so',
      'ping.so': 'pong.so',
      'pong.so': 'ping.so',
      'gone.so': '/lib/nothing.so',
      'hostpath.so': outside,
    });
    for (const link of ['up.so', 'lib/deep.so', 'lib/dots.so', 'loop.so', 'ping.so', 'gone.so']) {
      expect(await resolveInside(root, link, 'file'), link).toBeUndefined();
    }
    // An absolute link to a host path means that path inside the root, where there is nothing.
    expect(await resolveInside(root, 'hostpath.so', 'file')).toBeUndefined();
    expect(await resolveInside(root, '../outside.so', 'file')).toBeUndefined();
  });
});

describe('sysrootLayout', () => {
  it("finds Debian's multiarch directories in search order, each once, resolved inside the root", async () => {
    const root = debianTree();
    mkdirSync(path.join(root, `usr/include/${TRIPLE}`));
    const layout = await sysrootLayout(ARM64, root);
    expect(layout).toMatchObject({
      root,
      include: [path.join(root, `usr/include/${TRIPLE}`), path.join(root, 'usr/include')],
      lib: [
        path.join(root, `lib/${TRIPLE}`),
        path.join(root, `usr/lib/${TRIPLE}`),
        path.join(root, 'usr/lib'),
        path.join(root, 'lib'),
      ],
      pkgconfig: [path.join(root, `usr/lib/${TRIPLE}/pkgconfig`)],
    });

    // A merged /usr (lib -> usr/lib, even absolute) counts once; an Alpine tree has no triple.
    const merged = tree(['usr/include/zlib.h', `usr/lib/${TRIPLE}/libz.so.1`, 'usr/share/pkgconfig/'], {
      lib: '/usr/lib',
    });
    expect(await sysrootLayout(ARM64, merged)).toMatchObject({
      include: [path.join(merged, 'usr/include')],
      lib: [path.join(merged, `usr/lib/${TRIPLE}`), path.join(merged, 'usr/lib')],
      pkgconfig: [path.join(merged, 'usr/share/pkgconfig')],
    });
    const alpine = tree(['usr/include/zlib.h', 'lib/libz.so.1', 'usr/lib/pkgconfig/zlib.pc']);
    const musl = resolveTarget({ target: 'linux/arm64' }, { zigVersion: '0.15.2' });
    expect(await sysrootLayout(musl, alpine)).toMatchObject({
      include: [path.join(alpine, 'usr/include')],
      lib: [path.join(alpine, 'usr/lib'), path.join(alpine, 'lib')],
      pkgconfig: [path.join(alpine, 'usr/lib/pkgconfig')],
    });
  });

  it('never takes a directory whose link leaves the root', async () => {
    const outside = path.join(scratch, 'outside-lib');
    mkdirSync(outside, { recursive: true });
    const root = tree(['usr/include/zlib.h'], { 'usr/lib': '../../outside-lib', lib: outside });
    expect((await sysrootLayout(ARM64, root)).lib).toEqual([]);
  });

  it('refuses a tree with none of the directories, naming the fix', async () => {
    const root = tree(['usr/share/doc/zlib1g/copyright']);
    await expect(sysrootLayout(ARM64, path.join(root, 'usr'))).rejects.toThrow(
      `sysroot ${path.join(root, 'usr')}: no usr/include, usr/lib or lib in it; give the root of the tree (the directory that holds usr/), not a directory inside it`,
    );
  });

  it('changes its stamp when a library directory gains an entry, whatever mtime the archive gave it', async () => {
    const root = debianTree();
    const before = (await sysrootLayout(ARM64, root)).stamp;
    expect((await sysrootLayout(ARM64, root)).stamp).toBe(before);
    // dpkg-deb -x sets the directories' mtimes from the archive: only the ctime tells.
    const dir = path.join(root, `usr/lib/${TRIPLE}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    symlinkSync('/lib/aarch64-linux-gnu/libpcap.so.1', path.join(dir, 'libpcap.so'));
    execFileSync('touch', ['-m', '-d', '2020-01-01', dir]);
    expect((await sysrootLayout(ARM64, root)).stamp).not.toBe(before);
  });
});

describe('checkSysroot', () => {
  it('refuses what is not a directory, and paths no linker script or search path can hold', async () => {
    const file = path.join(scratch, 'a-file');
    writeFileSync(file, '');
    const cases: Array<[string, string]> = [
      [
        path.join(scratch, 'missing'),
        `sysroot ${path.join(scratch, 'missing')}: no such directory; give the root of a tree holding the target's usr/include and usr/lib (README: "Target system libraries")`,
      ],
      [file, `sysroot ${file}: not a directory; give the root`],
      ['/a:/usr', 'sysroot "/a:/usr": a colon or line break in the path'],
      ['/a\nb', 'sysroot "/a\\nb": a colon or line break'],
    ];
    for (const [dir, message] of cases) {
      const error = await checkSysroot(dir).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toContain(message);
      expect((error as UsageError).messageFor('--sysroot')).toMatch(/^--sysroot /);
    }
    await expect(checkSysroot(scratch)).resolves.toBeUndefined();
  });
});

describe('libraryScripts', () => {
  it('stands in for links that leave the sysroot, and for nothing else', async () => {
    const root = debianTree();
    mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
    // The host has a file where an escaping link would lead: no script may name it.
    writeFileSync(path.join(scratch, 'host-libevil.so'), '');
    for (const [link, target] of Object.entries({
      // Relative, inside: the linker follows it itself.
      [`usr/lib/${TRIPLE}/libfine.so`]: '../../../lib/aarch64-linux-gnu/libz.so.1.2.13',
      [`usr/lib/${TRIPLE}/libevil.so`]: '../../../../host-libevil.so',
      [`usr/lib/${TRIPLE}/libloop.so`]: 'libloop.so',
      [`usr/lib/${TRIPLE}/libgone.so`]: '/lib/aarch64-linux-gnu/libgone.so.1',
      // Not a name -l finds.
      [`usr/lib/${TRIPLE}/libz.so.1`]: '/lib/aarch64-linux-gnu/libz.so.1.2.13',
    })) {
      symlinkSync(target, path.join(root, link));
    }
    const scripts = await libraryScripts(await sysrootLayout(ARM64, root));
    expect([...scripts.keys()]).toEqual(['libz.so']);
    expect(scripts.get('libz.so')).toBe(
      `/* Written by xcc: the sysroot's link, resolved inside the sysroot. */\nINPUT(${path.join(root, `lib/${TRIPLE}/libz.so.1.2.13`)})\n`,
    );
  });

  it('takes, for each name, the first library directory where it resolves', async () => {
    const root = debianTree();
    // lib/<triple> comes before usr/lib/<triple>: its own libz.so, a real file, decides.
    writeFileSync(path.join(root, `lib/${TRIPLE}/libz.so`), 'real\n');
    expect((await libraryScripts(await sysrootLayout(ARM64, root))).size).toBe(0);
  });

  it('names the file by its bare name, looked up in the library directories, when its path has a blank', async () => {
    const root = debianTree(`with blank $HOME ${count++}`);
    const scripts = await libraryScripts(await sysrootLayout(ARM64, root));
    expect(scripts.get('libz.so')).toContain('\nINPUT(libz.so.1.2.13)\n');
  });
});

describe("a sysroot's environment", () => {
  const hostile = debianTree(`it's a $HOME \`x\` ${count++}`);

  it('points pkg-config at the sysroot alone, exactly, in bash and fish', async (context) => {
    const layout = await sysrootLayout(ARM64, hostile);
    const env = pkgConfigEnv(layout, '/empty');
    expect(env).toEqual({
      PKG_CONFIG_SYSROOT_DIR: hostile,
      PKG_CONFIG_LIBDIR: path.join(hostile, `usr/lib/${TRIPLE}/pkgconfig`),
      PKG_CONFIG_PATH: '',
      PKG_CONFIG_SYSTEM_INCLUDE_PATH: `${path.join(hostile, 'usr/include')}:/usr/include`,
      PKG_CONFIG_SYSTEM_LIBRARY_PATH: [
        path.join(hostile, `lib/${TRIPLE}`),
        path.join(hostile, `usr/lib/${TRIPLE}`),
        path.join(hostile, 'usr/lib'),
        path.join(hostile, 'lib'),
        `/lib/${TRIPLE}`,
        `/usr/lib/${TRIPLE}`,
        '/usr/lib',
        '/lib',
      ].join(':'),
    });
    // A host PKG_CONFIG_PATH must not reach pkg-config: the empty value is set, not left out.
    const host = { ...process.env, PKG_CONFIG_PATH: '/usr/lib/x86_64-linux-gnu/pkgconfig' };
    for (const [shell, format, source] of [
      ['bash', 'sh', 'eval "$1"'],
      ['fish', 'fish', 'eval $argv[1]'],
    ] as const) {
      needCommand(context, shell);
      const script = `${source}; env -0`;
      const args =
        shell === 'fish'
          ? ['-c', script, renderEnv(env, format)]
          : ['-c', script, 'sh', renderEnv(env, format)];
      const ran = run(shell, args, { env: host });
      expect(ran.stderr).toBe('');
      const read = parseEnv0(ran.stdout);
      for (const [name, value] of Object.entries(env)) expect(read[name], `${shell} ${name}`).toBe(value);
    }
    // Without .pc files of its own, an empty directory: an empty PKG_CONFIG_LIBDIR means the host's.
    const bare = tree([`usr/lib/${TRIPLE}/libz.so.1`]);
    expect(pkgConfigEnv(await sysrootLayout(ARM64, bare), '/empty').PKG_CONFIG_LIBDIR).toBe('/empty');
  });

  it('is undone by xcc env --unset', () => {
    const target = resolveTarget({ target: 'linux/arm64', sysroot: hostile }, { zigVersion: '0.15.2' });
    expect(toolchainEnvNames(target)).toEqual(
      expect.arrayContaining(['PKG_CONFIG_SYSROOT_DIR', 'PKG_CONFIG_LIBDIR', 'PKG_CONFIG_PATH']),
    );
    expect(toolchainEnvNames(ARM64)).not.toContain('PKG_CONFIG_PATH');
  });
});

describe('a toolchain with a sysroot', () => {
  it('has its own directory, wrappers that search the sysroot after zig, scripts, and pkg-config', async (context) => {
    const test = needTestZig(context);
    const home = path.join(scratch, 'home');
    const root = debianTree();
    const plain = await provisionForTest(test, { target: 'linux/arm64', glibcVersion: '2.28' }, { home });
    const toolchain = await provisionForTest(
      test,
      { target: 'linux/arm64', glibcVersion: '2.28', sysroot: root },
      { home },
    );
    expect(path.basename(toolchain.dir)).toMatch(/^linux-arm64-glibc2\.28-sysroot-[0-9a-f]{8}$/);
    expect(toolchain.dir).not.toBe(plain.dir);
    expect(toolchain.target.id).toBe(plain.target.id);
    const cc = readFileSync(toolchain.tools.cc!, 'utf8');
    const scripts = path.join(toolchain.dir, SYSROOT_LIBS);
    expect(cc).toContain(`-fno-sanitize=undefined -idirafter ${path.join(root, 'usr/include')} "$@"`);
    expect(cc).toContain(
      `-L${scripts} -L${path.join(root, `lib/${TRIPLE}`)} -L${path.join(root, `usr/lib/${TRIPLE}`)} -L${path.join(root, 'usr/lib')} -L${path.join(root, 'lib')} "$@" ;; # c-unwind-library, sysroot-libraries`,
    );
    expect(readdirSync(scripts)).toEqual(['libz.so']);
    expect(toolchain.env).toMatchObject({ PKG_CONFIG_SYSROOT_DIR: root, PKG_CONFIG_PATH: '' });
    expect(readFileSync(toolchain.tools.exec!, 'utf8')).toContain(`QEMU_LD_PREFIX=${root}`);
    expect(readFileSync(toolchain.envFiles.sh!, 'utf8')).toContain(`export PKG_CONFIG_SYSROOT_DIR='${root}'`);

    // zig's libc headers win over the sysroot's (a Debian glibc's would not match zig's glibc 2.28):
    // a stdio.h in the sysroot is never read, its zlib.h is.
    writeFileSync(path.join(root, 'usr/include/stdio.h'), '#error "the sysroot\'s stdio.h"\n');
    writeFileSync(path.join(root, 'usr/include/zlib.h'), '#define ZLIB_FROM_SYSROOT 1\n');
    const source = path.join(scratch, 'uses-zlib.c');
    writeFileSync(
      source,
      '#include <stdio.h>\n#include <zlib.h>\nint main(void) { return ZLIB_FROM_SYSROOT - 1; }\n',
    );
    const env = {
      ...process.env,
      ZIG_GLOBAL_CACHE_DIR: testZigBuildCache(),
      ZIG_LOCAL_CACHE_DIR: testZigBuildCache(),
    };
    expect(run(toolchain.tools.cc!, ['-c', source, '-o', `${source}.o`], { env })).toMatchObject({
      status: 0,
      stderr: '',
    });

    // A script whose library went is removed when the toolchain is written again.
    rmSync(path.join(root, `usr/lib/${TRIPLE}/libz.so`));
    await provisionForTest(test, { target: 'linux/arm64', glibcVersion: '2.28', sysroot: root }, { home });
    expect(existsSync(path.join(scripts, 'libz.so'))).toBe(false);
  });
});

describe('a toolchain with a sysroot, served warm', () => {
  it('is served as it is until the sysroot changes, then written again; a sysroot gone is named', async (context) => {
    const test = needTestZig(context);
    const sources = await startZigSources(test, testZigBuildCache());
    try {
      const home = path.join(scratch, 'warm-home');
      const env = { PATH: process.env.PATH ?? '', ...sources.userEnv(home) };
      const cwd = path.join(scratch, 'warm-project');
      mkdirSync(cwd);
      writeFileSync(path.join(cwd, 'xcc.json'), JSON.stringify({ zig: test.version }));
      const root = debianTree();
      const target = { target: 'linux/arm64', glibcVersion: '2.28', sysroot: root };
      const first = await projectToolchain({ target, cwd, env });
      const scripts = path.join(first.dir, SYSROOT_LIBS);
      expect(readdirSync(scripts)).toEqual(['libz.so']);

      // Nothing changed in the sysroot: served from the manifest, nothing written (the script removed
      // here stays removed).
      rmSync(path.join(scripts, 'libz.so'));
      expect(await projectToolchain({ target, cwd, env })).toMatchObject({ dir: first.dir, bin: first.bin });
      expect(readdirSync(scripts)).toEqual([]);

      // Another package unpacked into the sysroot: written again, with its library's script.
      mkdirSync(path.join(root, `lib/${TRIPLE}`), { recursive: true });
      writeFileSync(path.join(root, `lib/${TRIPLE}/libpcap.so.1.10.3`), '');
      symlinkSync(`/lib/${TRIPLE}/libpcap.so.1.10.3`, path.join(root, `usr/lib/${TRIPLE}/libpcap.so`));
      await projectToolchain({ target, cwd, env });
      expect(readdirSync(scripts).sort()).toEqual(['libpcap.so', 'libz.so']);

      rmSync(root, { recursive: true });
      await expect(projectToolchain({ target, cwd, env })).rejects.toThrow(
        `sysroot ${root}: no such directory; give the root of a tree holding the target's usr/include and usr/lib`,
      );
    } finally {
      await sources.close();
    }
  });
});
