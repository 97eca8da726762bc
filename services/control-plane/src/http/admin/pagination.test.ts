import { ApiError } from '@switchyard/contracts';
import { paginate, queryFilter } from './pagination';

const items = ['d', 'a', 'c', 'b', 'e'].map((id) => ({ id }));
const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);

describe('admin list pagination', () => {
  it('without limit or after: every item, in the given order', () => {
    expect(paginate(items, {}, (i) => i.id)).toEqual({ items, next_after: null, total: 5 });
  });

  it('walks the pages by id with after = the last id of the previous page', () => {
    const first = paginate(items, { limit: '2' }, (i) => i.id);
    expect([ids(first), first.next_after]).toEqual([['a', 'b'], 'b']);
    const second = paginate(items, { limit: '2', after: 'b' }, (i) => i.id);
    expect([ids(second), second.next_after]).toEqual([['c', 'd'], 'd']);
    const last = paginate(items, { limit: '2', after: 'd' }, (i) => i.id);
    expect([ids(last), last.next_after, last.total]).toEqual([['e'], null, 5]);
    // An id removed between two pages does not break the walk.
    expect(ids(paginate(items, { limit: '2', after: 'bb' }, (i) => i.id))).toEqual(['c', 'd']);
    expect(ids(paginate(items, { limit: '2', after: 'z' }, (i) => i.id))).toEqual([]);
  });

  it('refuses bad limits and filter values with a 400 naming the parameter', () => {
    for (const limit of ['0', '1001', 'ten', '-1']) {
      expect(() => paginate(items, { limit }, (i) => i.id)).toThrow(ApiError);
    }
    expect(queryFilter({ state: 'unhealthy' }, 'state', ['healthy', 'unhealthy'])).toBe('unhealthy');
    expect(queryFilter({}, 'state', ['healthy'])).toBeUndefined();
    expect(() => queryFilter({ state: 'sleepy' }, 'state', ['healthy'])).toThrow(expect.objectContaining({ status: 400, param: 'state' }));
    expect(() => queryFilter({ user: ['a', 'b'] }, 'user')).toThrow(ApiError);
  });
});
