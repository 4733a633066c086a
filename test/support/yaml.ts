import { execFileSync, spawnSync } from 'node:child_process';
import { hasCommand, requireOrSkip, type Skippable } from './tools.js';

/**
 * YAML read by a real YAML parser, PyYAML (Debian's python3-yaml; the npm dependencies have none): for
 * action.yml, the README's workflows and `xcc targets --matrix gitlab`. PyYAML reads YAML 1.1, where a
 * bare `on` key is the boolean true: workflows come back with a `true` key (JSON "true") for `on:`.
 */
export function needYaml(context: Skippable): void {
  if (!hasCommand('python3')) requireOrSkip(context, 'python3 is not installed', 'apt-get install python3');
  if (spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status !== 0)
    requireOrSkip(context, "python3 has no 'yaml' module", 'apt-get install python3-yaml');
}

/** Parses YAML text (every document must be one); throws with PyYAML's message when it is not YAML. */
export function parseYaml(text: string): unknown {
  const json = execFileSync(
    'python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'],
    { input: text, encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  return JSON.parse(json);
}
