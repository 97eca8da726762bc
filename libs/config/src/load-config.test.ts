import { z } from 'zod';
import { boolVar, intVar, listVar, portVar, urlVar } from './env-schema';
import { parseConfig } from './load-config';

const schema = z.object({
  PORT: portVar(8080),
  RETRIES: intVar(3, 1, 10),
  DEBUG: boolVar(false),
  ADDRS: listVar(['127.0.0.1:50051']),
  CONTROL_PLANE_URL: urlVar(),
});

describe('parseConfig', () => {
  it('fills defaults when variables are unset or empty', () => {
    const result = parseConfig(schema, { PORT: '', DEBUG: undefined });
    expect(result).toEqual({ ok: true, config: { PORT: 8080, RETRIES: 3, DEBUG: false, ADDRS: ['127.0.0.1:50051'], CONTROL_PLANE_URL: undefined } });
  });

  it('coerces values', () => {
    const result = parseConfig(schema, { PORT: '9001', DEBUG: 'yes', ADDRS: 'a:1, b:2,', CONTROL_PLANE_URL: 'http://127.0.0.1:8081' });
    expect(result.ok && result.config).toMatchObject({ PORT: 9001, DEBUG: true, ADDRS: ['a:1', 'b:2'], CONTROL_PLANE_URL: 'http://127.0.0.1:8081' });
  });

  it('names every bad variable at once', () => {
    const result = parseConfig(schema, { PORT: '70000', RETRIES: 'x', DEBUG: 'maybe', CONTROL_PLANE_URL: 'ftp://h' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(4);
    expect(result.problems.join('\n')).toMatch(/^PORT: must be <= 65535$/m);
    expect(result.problems.join('\n')).toMatch(/^RETRIES: /m);
    expect(result.problems.join('\n')).toMatch(/^DEBUG: /m);
    expect(result.problems.join('\n')).toMatch(/^CONTROL_PLANE_URL: must be http\(s\)$/m);
  });
});
