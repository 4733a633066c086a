import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platformCacheDir, xccHome } from '../../src/home.js';
import { runXcc } from '../support/cli.js';
import { needHost } from '../support/tools.js';

/**
 * Where xcc caches without XCC_HOME: each platform's convention (the paths env-paths gives, which xcc
 * used before it computed them itself), and on this machine through the real CLI.
 */
describe('the platform cache directory', () => {
  const home = () => '/home/ada';
  it('Linux: $XDG_CACHE_HOME/xcc, else ~/.cache/xcc; a relative XDG_CACHE_HOME is ignored', () => {
    expect(platformCacheDir({}, 'linux', home)).toBe('/home/ada/.cache/xcc');
    expect(platformCacheDir({ XDG_CACHE_HOME: '/var/cache/ada' }, 'linux', home)).toBe('/var/cache/ada/xcc');
    expect(platformCacheDir({ XDG_CACHE_HOME: '' }, 'linux', home)).toBe('/home/ada/.cache/xcc');
    expect(platformCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', home)).toBe('/home/ada/.cache/xcc');
    expect(platformCacheDir({}, 'freebsd', home)).toBe('/home/ada/.cache/xcc');
  });

  it('macOS: ~/Library/Caches/xcc, whatever XDG_CACHE_HOME says', () => {
    expect(platformCacheDir({ XDG_CACHE_HOME: '/x' }, 'darwin', () => '/Users/ada')).toBe(
      '/Users/ada/Library/Caches/xcc',
    );
  });

  it('Windows: %LOCALAPPDATA%\\xcc\\Cache, else under the profile', () => {
    const profile = () => 'C:\\Users\\ada';
    expect(platformCacheDir({ LOCALAPPDATA: 'D:\\Local' }, 'win32', profile)).toBe('D:\\Local\\xcc\\Cache');
    expect(platformCacheDir({}, 'win32', profile)).toBe('C:\\Users\\ada\\AppData\\Local\\xcc\\Cache');
  });

  it('XCC_HOME wins, made absolute', () => {
    expect(xccHome({ XCC_HOME: 'rel/home', XDG_CACHE_HOME: '/x' })).toBe(path.resolve('rel/home'));
  });

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-home-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('`xcc cache dir` on this machine follows HOME and XDG_CACHE_HOME', async (context) => {
    needHost(context, { platform: 'linux' });
    const env = { XCC_HOME: '', HOME: scratch, XDG_CACHE_HOME: '' };
    const byHome = await runXcc(['cache', 'dir'], { env });
    expect(byHome.stdout.trim()).toBe(path.join(scratch, '.cache', 'xcc'));
    const byXdg = await runXcc(['cache', 'dir'], {
      env: { ...env, XDG_CACHE_HOME: path.join(scratch, 'xdg') },
    });
    expect(byXdg.stdout.trim()).toBe(path.join(scratch, 'xdg', 'xcc'));
  });
});
