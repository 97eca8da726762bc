import { ApiError } from '@switchyard/contracts';
import { requestPriority } from './priority';

describe('request priority (issue 19)', () => {
  it('is the key\'s class, standard for keys without one and without keys', () => {
    expect(requestPriority('interactive', {})).toBe('interactive');
    expect(requestPriority('', {})).toBe('standard');
    expect(requestPriority(undefined, {})).toBe('standard');
  });

  it('may be lowered by x-switchyard-priority, never raised', () => {
    expect(requestPriority('interactive', { 'x-switchyard-priority': 'batch' })).toBe('batch');
    expect(requestPriority('standard', { 'x-switchyard-priority': 'Batch ' })).toBe('batch');
    expect(requestPriority('batch', { 'x-switchyard-priority': 'interactive' })).toBe('batch');
    expect(requestPriority(undefined, { 'x-switchyard-priority': 'interactive' })).toBe('standard');
  });

  it('refuses an unknown class with a 400', () => {
    const answer = requestPriority('standard', { 'x-switchyard-priority': 'urgent' });
    expect(answer).toBeInstanceOf(ApiError);
    expect((answer as ApiError).status).toBe(400);
    expect((answer as ApiError).code).toBe('invalid_priority');
  });
});
