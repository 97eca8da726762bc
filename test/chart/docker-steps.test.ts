import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@switchyard/testing';
import { copyBuildContext, devOnlyPackages, installedPackages, linksLeavingDirectory } from './support/build-context';
import { instructions, parseDockerfile, stage, stageEnv } from './support/dockerfile';
import { REPO_ROOT } from './support/chart-renderer';
import { PROBE_PATHS } from './support/probes';

// Acceptance 4 (issue 8): the Dockerfile builds the services from a clean checkout
// as written. Without Docker, this performs the same steps: the build context
// (filtered by Dockerfile.dockerignore) is copied to a temp dir, the build stage's
// script runs there, each target's prod-deploy step fills its own directory, and
// the target's CMD starts from that directory alone until its HEALTHCHECK passes.

const SCRIPT = 'deploy/docker/build-service.sh';
const SERVICES = ['control-plane', 'gateway', 'sim-scheduler'] as const;
const CHART_COMPONENT: Record<(typeof SERVICES)[number], string> = { 'control-plane': 'control-plane', gateway: 'gateway', 'sim-scheduler': 'sim' };
const stages = parseDockerfile();

let workdir: string;
let context: string;
const running: ChildProcess[] = [];

/** Runs a RUN step of the Dockerfile (a build-service.sh call) in the copied context. */
function runStep(args: string[], timeoutMs: number): void {
  const env = { ...process.env };
  delete env.NODE_ENV; // jest sets it; the Docker build stage does not
  const result = spawnSync('bash', [path.join(context, SCRIPT), ...args], { cwd: context, env, encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.slice(-4000);
    throw new Error(`${SCRIPT} ${args.join(' ')} failed (exit ${result.status}${result.error ? `, ${String(result.error)}` : ''}):\n${output}`);
  }
}

/** The one `RUN deploy/docker/build-service.sh …` of a stage, as arguments. */
function scriptRun(stageName: string): string[] {
  const runs = instructions(stage(stages, stageName), 'RUN').filter((r) => r.startsWith(SCRIPT));
  expect(runs).toHaveLength(1);
  return runs[0]!.split(/\s+/).slice(1);
}

function jsonArray(instruction: string, keyword: string): string[] {
  return JSON.parse(instruction.slice(instruction.indexOf(keyword) + keyword.length).trim()) as string[];
}

beforeAll(() => {
  workdir = mkdtempSync(path.join(tmpdir(), 'switchyard-docker-steps-'));
  context = path.join(workdir, 'src');
  copyBuildContext(context);
  expect(existsSync(path.join(context, 'node_modules'))).toBe(false);
  expect(scriptRun('build')).toEqual(['build']);
  runStep(['build'], 540_000);
}, 600_000);

afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(running.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** Deploys a target exactly as its deploy stage does, but into the temp dir instead of /out. */
function deployTarget(target: string): string {
  const args = scriptRun(`deploy-${target}`);
  expect(args).toEqual(['deploy', target, '/out']);
  const finalStage = stage(stages, target);
  expect(instructions(finalStage, 'COPY')).toEqual([`--from=deploy-${target} /out /app`]);
  const out = path.join(workdir, 'out', target);
  runStep(['deploy', target, out], 40_000);
  expect(linksLeavingDirectory(out)).toEqual([]);
  return out;
}

/** The stage's ENV with every port on a free loopback port (tests bind 127.0.0.1 only). */
async function runtimeEnv(target: string): Promise<Record<string, string>> {
  // A short grace keeps the SIGTERM check bounded even if something were still in flight.
  const env: Record<string, string> = { ...stageEnv(stages, target), PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '5000' };
  for (const name of ['PORT', 'ADMIN_PORT', 'GRPC_PORT']) if (env[name] !== undefined) env[name] = String(await freePort());
  // Nothing listens there: the gateway must come up (liveness) without a control plane.
  if (target === 'gateway') env.CONTROL_PLANE_ADDR = `127.0.0.1:${await freePort()}`;
  return env;
}

function start(command: string[], cwd: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(command[0] === 'node' ? process.execPath : command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return { child, output: () => output };
}

describe.each(SERVICES)('image target %s', (target) => {
  it('deploys production dependencies only, starts with its CMD and passes its HEALTHCHECK', async () => {
    const out = deployTarget(target);
    const installed = installedPackages(out);
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'services', target, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const thirdParty = Object.keys(manifest.dependencies).filter((name) => !name.startsWith('@switchyard/'));
    expect(thirdParty.length).toBeGreaterThan(0);
    expect(thirdParty.filter((name) => !installed.has(name))).toEqual([]);
    expect(devOnlyPackages()).toEqual(expect.arrayContaining(['jest', 'typescript']));
    expect(devOnlyPackages().filter((name) => installed.has(name))).toEqual([]);
    const finalStage = stage(stages, target);
    const cmd = jsonArray(instructions(finalStage, 'CMD')[0]!, '');
    expect(cmd).toEqual(['node', 'dist/main.js']);
    const env = await runtimeEnv(target);
    const service = start(cmd, out, env);

    const healthcheck = instructions(finalStage, 'HEALTHCHECK')[0]!;
    const probe = jsonArray(healthcheck, 'CMD');
    const healthy = () => spawnSync(process.execPath, probe.slice(1), { env, encoding: 'utf8', timeout: 5_000 }).status === 0;
    try {
      await waitFor(healthy, 30_000, 250, `${target} HEALTHCHECK`);
    } catch (err) {
      throw new Error(`${String(err)}\n--- ${target} output ---\n${service.output()}`);
    }
    expect(service.child.exitCode).toBeNull();

    // The chart's probe paths are routes of this process (readiness may still be 503: no control plane here).
    const port = env.ADMIN_PORT ?? env.PORT;
    const paths = PROBE_PATHS[CHART_COMPONENT[target]]!;
    expect((await fetch(`http://127.0.0.1:${port}${paths.liveness}`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`http://127.0.0.1:${port}${paths.readiness}`)).status);

    // Graceful stop on SIGTERM (what tini forwards on `docker stop`), bounded by the grace period.
    const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    service.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});

describe('image target register (the switchyard-register sidecar)', () => {
  it('deploys and its CMD runs from the deploy directory alone', () => {
    const out = deployTarget('register');
    const cmd = jsonArray(instructions(stage(stages, 'register'), 'CMD')[0]!, '');
    expect(cmd[0]).toBe('node');
    const result = spawnSync(process.execPath, [...cmd.slice(1), '--help'], { cwd: out, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 15_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/usage: switchyard-register/);
  }, 60_000);
});
