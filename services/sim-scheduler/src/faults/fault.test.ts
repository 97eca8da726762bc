import { formatFault, parseFault } from './fault';

describe('parseFault', () => {
  it.each([
    ['hang', { kind: 'hang' }],
    [' Reset ', { kind: 'reset' }],
    ['none', { kind: 'none' }],
    ['die-after:0', { kind: 'die-after', chunks: 0 }],
    ['die-after:12', { kind: 'die-after', chunks: 12 }],
    ['slow-first-token:1500', { kind: 'slow-first-token', ms: 1500 }],
    ['status:429', { kind: 'status', status: 429 }],
  ])('parses %s', (text, fault) => {
    expect(parseFault(text)).toEqual({ ok: true, fault });
    if (text.trim() === text) expect(formatFault(fault as never)).toBe(text);
  });

  it.each(['', 'explode', 'hang:1', 'die-after', 'die-after:-1', 'die-after:x', 'status:200', 'status:600', 'slow-first-token:1:2'])('refuses %p', (text) => {
    const result = parseFault(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/unknown fault/);
  });
});
