import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { K8sObject } from './manifests';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CHART_DIR = path.join(REPO_ROOT, 'helm', 'switchyard');
/** The release name and namespace helm-render uses; `helm template` is called with the same. */
export const RELEASE = 'rel';
export const NAMESPACE = 'default';

export interface RenderResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChartRenderer {
  /** `helm` when it is on PATH, otherwise the helm-render binary. */
  readonly tool: string;
  /** Renders the chart with values files (paths) and inline values objects, in order. */
  renderRaw(values: ReadonlyArray<string | object>, chartDir?: string): RenderResult;
  /** Like renderRaw, but throws with the renderer's message on failure and parses the output. */
  render(values?: ReadonlyArray<string | object>, chartDir?: string): K8sObject[];
  /** Removes the temporary values files. */
  cleanup(): void;
}

/**
 * Renders the chart with `helm template` when helm is installed, otherwise with
 * ../shared/tools/helm-render (built once; build.sh caches the binary). A renderer
 * that cannot be built is an error, never a skipped test.
 */
export function createChartRenderer(): ChartRenderer {
  const helm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' });
  const tool = helm.status === 0 ? 'helm' : buildHelmRender();
  const scratch = mkdtempSync(path.join(tmpdir(), 'switchyard-chart-'));
  let counter = 0;

  const valuesFile = (value: string | object): string => {
    if (typeof value === 'string') return path.resolve(REPO_ROOT, value);
    const file = path.join(scratch, `values-${counter++}.yaml`);
    writeFileSync(file, stringify(value));
    return file;
  };

  const renderRaw = (values: ReadonlyArray<string | object>, chartDir = CHART_DIR): RenderResult => {
    const files = values.map(valuesFile);
    const args =
      tool === 'helm'
        ? ['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...files.flatMap((f) => ['-f', f])]
        : [chartDir, ...files];
    const result = spawnSync(tool, args, { encoding: 'utf8', timeout: 60_000 });
    return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
  };

  return {
    tool,
    renderRaw,
    render(values = [], chartDir) {
      const result = renderRaw(values, chartDir);
      if (!result.ok) throw new Error(`chart rendering failed (${tool}):\n${result.stderr}`);
      return parseManifests(result.stdout);
    },
    cleanup() {
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Parses a multi-document stream; any YAML error fails, empty documents are dropped. */
export function parseManifests(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

/**
 * A copy of the chart whose NOTES.txt is also rendered as a ConfigMap, so a template
 * error in NOTES fails like any other (neither renderer prints NOTES otherwise).
 */
export function chartWithRenderedNotes(scratchParent: string): string {
  const dir = path.join(scratchParent, 'switchyard');
  cpSync(CHART_DIR, dir, { recursive: true });
  const notes = readFileSync(path.join(dir, 'templates', 'NOTES.txt'), 'utf8');
  writeFileSync(path.join(dir, 'templates', '_notes-check.tpl'), `{{- define "notes-check" -}}\n${notes}\n{{- end -}}\n`);
  writeFileSync(
    path.join(dir, 'templates', 'notes-check.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-check\ndata:\n  notes: {{ include "notes-check" . | toJson }}\n',
  );
  return dir;
}

function buildHelmRender(): string {
  const script = path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'helm-render', 'build.sh');
  // Jest workers start at once; on a fresh machine two builds would race for apt's lock.
  const result = withLock(path.join(tmpdir(), 'switchyard-helm-render.lock'), 600_000, () =>
    spawnSync('bash', [script], { encoding: 'utf8', timeout: 600_000 }),
  );
  const binary = (result.stdout ?? '').trim().split('\n').pop() ?? '';
  if (result.status !== 0 || binary === '') {
    throw new Error(
      `helm is not on PATH and ${script} could not build helm-render (exit ${result.status}): ${result.stderr || String(result.error)}\n` +
        'Install helm, or make the helm-render build work (see ../shared/tools/helm-render/README.md).',
    );
  }
  return binary;
}

/**
 * Runs `fn` holding a cross-process lock (a directory holding the owner's pid). A lock
 * whose owner is gone, or older than `staleMs`, is taken over.
 */
function withLock<T>(lockDir: string, staleMs: number, fn: () => T): T {
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch {
      if (lockIsAbandoned(lockDir, staleMs)) rmSync(lockDir, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockIsAbandoned(lockDir: string, staleMs: number): boolean {
  const stat = statSync(lockDir, { throwIfNoEntry: false });
  if (!stat) return false;
  if (Date.now() - stat.mtimeMs > staleMs) return true;
  const owner = Number(readIfExists(path.join(lockDir, 'pid')) || NaN);
  // No pid yet: the owner is between mkdir and write; give it a moment.
  if (Number.isNaN(owner)) return Date.now() - stat.mtimeMs > 5_000;
  try {
    process.kill(owner, 0);
    return false;
  } catch {
    return true;
  }
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
