import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_INPUTS } from '../../src/action/plan.js';
import { projectRoot } from '../support/paths.js';
import { needYaml, parseYaml } from '../support/yaml.js';

/**
 * The workflows the docs show are YAML that GitHub can read, and use the Action with inputs it has:
 * parsed by a real YAML parser (PyYAML), since a workflow that does not parse fails before any job runs.
 */

interface Step {
  uses?: string;
  run?: string;
  id?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string;
  strategy?: { matrix: unknown };
  outputs?: Record<string, string>;
  steps: Step[];
}

/** The fenced yaml blocks of a markdown section (from its heading to the next heading of its level). */
function yamlBlocks(file: string, heading: string): string[] {
  const text = `\n${readFileSync(path.join(projectRoot, file), 'utf8')}`;
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `${file} has no heading ${heading}`).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0]!;
  const end = text.indexOf(`\n${level} `, start + heading.length + 2);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

describe('the README workflow', () => {
  it('parses, prints the matrix in one job and builds each shard with the Action in another', (context) => {
    needYaml(context);
    const [workflow] = yamlBlocks('README.md', '## GitHub Actions');
    const { jobs } = parseYaml(workflow!) as { jobs: Record<string, Job> };
    expect(Object.keys(jobs)).toEqual(['targets', 'build', 'release']);
    const matrixStep = jobs.targets!.steps.find((step) => step.id === 'matrix')!;
    expect(matrixStep.run).toContain('npx xcc targets --matrix github --shards 3');
    expect(jobs.targets!.outputs).toEqual({ matrix: `\${{ steps.matrix.outputs.matrix }}` });
    expect(jobs.build!.strategy!.matrix).toBe(`\${{ fromJSON(needs.targets.outputs.matrix) }}`);
    const action = jobs.build!.steps.findIndex((step) => step.uses?.endsWith('/xcc@v0'));
    expect(action).toBeGreaterThanOrEqual(0);
    const build = jobs.build!.steps.findIndex((step) =>
      step.run?.includes(`xcc build --shard \${{ matrix.shard }}`),
    );
    expect(build).toBeGreaterThan(action);
    expect(jobs.release!.steps.at(-1)!.run).toBe('npx xcc checksums dist/*');
  });

  it('passes the Action only inputs action.yml declares', (context) => {
    needYaml(context);
    const blocks = [...yamlBlocks('README.md', '## GitHub Actions'), ...yamlBlocks('docs/ci.md', '# CI')];
    let uses = 0;
    for (const block of blocks) {
      const document = parseYaml(block);
      const steps = Array.isArray(document)
        ? (document as Step[])
        : Object.values((document as { jobs?: Record<string, Job> }).jobs ?? {}).flatMap(
            (job) => job.steps ?? [],
          );
      for (const step of steps.filter((step) => step.uses?.endsWith('/xcc@v0'))) {
        uses++;
        for (const input of Object.keys(step.with ?? {})) expect(ACTION_INPUTS).toContain(input);
      }
    }
    expect(uses).toBeGreaterThanOrEqual(2);
  });
});
