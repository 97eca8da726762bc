import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './chart-renderer';

export const DOCKERFILE = path.join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile');
export const BUILD_SCRIPT = path.join(REPO_ROOT, 'deploy', 'docker', 'build-service.sh');

export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

/** Stages of a Dockerfile with continuation lines joined; comments and the parser directive dropped. */
export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): Stage[] {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Array<{ name: string; base: string; instructions: Instruction[] }> = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!match) throw new Error(`cannot parse ${line}`);
      stages.push({ base: match[1]!, name: match[2] ?? `stage-${stages.length}`, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** The stage of that name; throws when there is none. */
export function stage(stages: readonly Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
}

/** ENV of a stage and the stages it is built FROM (inner stages first, so later ones win). */
export function stageEnv(stages: readonly Stage[], name: string): Record<string, string> {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage(stages, name); s; s = stages.find((candidate) => candidate.name === s!.base)) chain.unshift(s);
  const env: Record<string, string> = {};
  for (const s of chain) {
    for (const i of s.instructions.filter((x) => x.op === 'ENV')) {
      for (const pair of i.args.split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`ENV must use KEY=value pairs: ${i.args}`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  return env;
}

/** The arguments of every instruction `op` (RUN, COPY, …) of a stage, in order. */
export function instructions(s: Stage, op: string): string[] {
  return s.instructions.filter((i) => i.op === op).map((i) => i.args);
}
