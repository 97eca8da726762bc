import { loadConfig } from '../config';
import { buildModelRoutes } from './model-routes';

describe('MODEL_RESUME_STREAMS (issue 10)', () => {
  it('marks the listed public models, aliases included', () => {
    const routes = buildModelRoutes(['a', 'b'], { pub: ['a'] }, {}, ['b', 'pub']);
    expect(Object.fromEntries(Object.entries(routes).map(([name, route]) => [name, route.resume_streams]))).toEqual({ a: false, b: true, pub: true });
  });

  it('`*` marks every model; none by default', () => {
    expect(Object.values(buildModelRoutes(['a', 'b'], {}, {}, ['*'])).every((r) => r.resume_streams)).toBe(true);
    expect(Object.values(buildModelRoutes(['a', 'b'])).some((r) => r.resume_streams)).toBe(false);
  });

  it('is read from the environment as a comma list', () => {
    const result = loadConfig({ MODEL_RESUME_STREAMS: 'm1, m2' });
    expect(result.ok && result.config.MODEL_RESUME_STREAMS).toEqual(['m1', 'm2']);
    expect(loadConfig({ MODEL_RESUME_STREAMS: 'a=b' }).ok).toBe(false);
  });
});
