import { parseUsageField, USAGE_BUCKET_MS, usageBucketKey, usageField } from './usage-buckets';

describe('usage buckets', () => {
  it('names one hash per UTC hour', () => {
    const ms = Date.parse('2026-03-10T12:34:56Z');
    expect(usageBucketKey('p:', ms)).toBe('p:usage:2026031012');
    expect(usageBucketKey('p:', ms + USAGE_BUCKET_MS)).toBe('p:usage:2026031013');
  });

  it('reads back the fields it writes, and nothing else', () => {
    expect(usageField('team "a"', 'm,1', 'prompt_tokens')).toBe('["team \\"a\\"","m,1","prompt_tokens"]');
    expect(parseUsageField(usageField('team "a"', 'm,1', 'prompt_tokens'))).toEqual({ user: 'team "a"', model: 'm,1', counter: 'prompt_tokens' });
    for (const foreign of ['garbage', '["a","m"]', '["a","m","cost"]', '[1,"m","requests"]']) expect(parseUsageField(foreign)).toBeUndefined();
  });
});
