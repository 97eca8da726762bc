import { isValidTraceparent } from './traceparent';

describe('isValidTraceparent', () => {
  const good = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('accepts a version-00 header and a future version with extra fields', () => {
    expect(isValidTraceparent(good)).toBe(true);
    expect(isValidTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toBe(true);
    expect(isValidTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever')).toBe(true);
  });

  it.each([
    ['the issue example', '00-zzzz-not-a-trace-01'],
    ['uppercase hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['a zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['a zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with a fifth field', `${good}-extra`],
    ['a short span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902-01'],
    ['an empty value', ''],
  ])('rejects %s', (_name, value) => {
    expect(isValidTraceparent(value)).toBe(false);
  });

  it('rejects a repeated header (an array) and a missing one', () => {
    expect(isValidTraceparent([good, good])).toBe(false);
    expect(isValidTraceparent(undefined)).toBe(false);
  });
});
