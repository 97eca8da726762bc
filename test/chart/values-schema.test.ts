import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { CHART_DIR } from './support/chart-renderer';

// Acceptance 1 (issue 8): values.yaml and every example values file validate against
// values.schema.json, and broken values are rejected. Helm applies the same schema
// (draft-07) to the merged values on install, upgrade, lint and template.

function loadYaml(file: string): Record<string, unknown> {
  return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Helm merges files over values.yaml; maps merge, everything else replaces. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothMaps = isMap(current) && isMap(value);
    out[key] = bothMaps ? merge(current, value) : value;
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const exampleFiles = [
  ...readdirSync(path.join(CHART_DIR, 'ci')).map((f) => path.join('ci', f)),
  ...readdirSync(path.join(CHART_DIR, 'examples')).filter((f) => f.startsWith('values')).map((f) => path.join('examples', f)),
].filter((f) => f.endsWith('.yaml'));

describe('values.schema.json', () => {
  let validate: ValidateFunction;
  let defaults: Record<string, unknown>;

  beforeAll(() => {
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
    validate = ajv.compile(JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as object);
    defaults = loadYaml(path.join(CHART_DIR, 'values.yaml'));
  });

  const errorsOf = (values: Record<string, unknown>): string => (validate(values) ? '' : JSON.stringify(validate.errors, null, 1));

  it('accepts values.yaml', () => {
    expect(errorsOf(defaults)).toBe('');
  });

  it('has example values files: an HA example among them', () => {
    expect(exampleFiles).toEqual(expect.arrayContaining([path.join('ci', 'ha-values.yaml')]));
    expect(exampleFiles.length).toBeGreaterThanOrEqual(4);
  });

  it.each(exampleFiles)('accepts %s merged over values.yaml', (file) => {
    const example = loadYaml(path.join(CHART_DIR, file));
    expect(errorsOf(merge(defaults, example))).toBe('');
  });

  const broken: Array<[string, (v: Record<string, unknown>) => Record<string, unknown>, string]> = [
    ['a string where an integer belongs', (v) => merge(v, { controlPlane: { replicas: 'two' } }), '/controlPlane/replicas'],
    ['an unknown top-level key (a typo)', (v) => merge(v, { gatway: { replicas: 3 } }), 'gatway'],
    ['an unknown key inside a component', (v) => merge(v, { gateway: { replica: 3 } }), 'replica'],
    ['a routing strategy that does not exist', (v) => merge(v, { controlPlane: { routingStrategy: 'fastest' } }), '/controlPlane/routingStrategy'],
    ['a log level winston does not know', (v) => merge(v, { logLevel: 'trace' }), '/logLevel'],
    ['the `latest` image tag', (v) => merge(v, { image: { tag: 'latest' } }), '/image/tag'],
    ['a port out of range', (v) => merge(v, { gateway: { port: 70000 } }), '/gateway/port'],
    ['a non-Redis URL', (v) => merge(v, { redis: { url: 'http://redis:6379' } }), '/redis/url'],
    ['an empty registration allow-list', (v) => merge(v, { controlPlane: { registrationAllowedHosts: [] } }), '/controlPlane/registrationAllowedHosts'],
    ['an API key without key or key_sha256', (v) => merge(v, { auth: { apiKeys: { enabled: true, keys: [{ user: 'a' }] } } }), '/auth/apiKeys/keys/0'],
    ['a fail rate above 1', (v) => merge(v, { sim: { failRate: 1.5 } }), '/sim/failRate'],
  ];

  it.each(broken)('rejects %s', (_what, breakIt, where) => {
    const errors = errorsOf(breakIt(defaults));
    expect(errors).not.toBe('');
    expect(errors).toContain(where);
  });
});
