import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT } from './support/chart-renderer';
import { defaultOf, REGISTER_SIDECAR, requiredVariables, SERVICES, variableNames, type ServiceSchema } from './support/service-schemas';

// docs/configuration.md cannot drift from the code: each service's section lists
// exactly the variables of its config schema, with the default the schema really
// applies, and the chart section names every value of values.yaml.

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');

/** The text under a `## heading` up to the next `## `. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/configuration.md has no "## ${heading}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Table rows whose first cell is one `VARIABLE`: name → default cell. */
function variableRows(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? '')?.[1];
    if (name) rows.set(name, cells[2] ?? '');
  }
  return rows;
}

/** How the docs write a default: `value`, `a,b` for lists, `` (empty) for an empty list, — when unset. */
function documentedForm(value: unknown): string {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? '`` (empty)' : `\`${value.join(',')}\``;
  return `\`${String(value)}\``;
}

const SECTIONS: Array<[string, ServiceSchema]> = [
  ['Control plane', SERVICES.find((s) => s.component === 'control-plane')!],
  ['Gateway', SERVICES.find((s) => s.component === 'gateway')!],
  ['Sim scheduler', SERVICES.find((s) => s.component === 'sim')!],
  ['switchyard-register sidecar', REGISTER_SIDECAR],
];

describe('docs/configuration.md', () => {
  it.each(SECTIONS)('"%s" lists exactly the variables of the config schema', (heading, service) => {
    expect([...variableRows(section(heading)).keys()].sort()).toEqual(variableNames(service).sort());
  });

  it.each(SECTIONS)('"%s" gives each variable its real default (or says it is required)', (heading, service) => {
    const required = new Set(requiredVariables(service));
    const wrong = [...variableRows(section(heading))].flatMap(([name, cell]) => {
      if (required.has(name)) return cell === 'required' ? [] : [`${name}: is required, documented "${cell}"`];
      // Computed defaults (`<hostname>-<pid>`) are described, not compared.
      if (cell.includes('<')) return [];
      const expected = documentedForm(defaultOf(service, name));
      return cell === expected ? [] : [`${name}: default ${expected}, documented "${cell}"`];
    });
    expect(wrong).toEqual([]);
  });

  it('names every value of values.yaml in the chart section', () => {
    const chartSection = section('Chart values');
    const missing = valuePaths(parse(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>).filter((p) => {
      const generic = p.replace(/^(controlPlane|gateway|sim)\./, '<component>.');
      return !chartSection.includes(`\`${p}\``) && !chartSection.includes(`\`${generic}\``);
    });
    expect(missing).toEqual([]);
  });
});

/** Values documented as a whole rather than key by key (Kubernetes objects, free-form maps). */
const WHOLE_OBJECTS = new Set([
  'resources', 'podSecurityContext', 'containerSecurityContext', 'livenessProbe', 'readinessProbe', 'nodeSelector', 'affinity',
  'tolerations', 'podAnnotations', 'podLabels', 'annotations', 'commonLabels', 'global', 'behavior', 'labels', 'topologySpreadConstraints',
]);

function valuePaths(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const p = prefix ? `${prefix}.${key}` : key;
    const descend = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 && !WHOLE_OBJECTS.has(key);
    return descend ? valuePaths(value as Record<string, unknown>, p) : [p];
  });
}
