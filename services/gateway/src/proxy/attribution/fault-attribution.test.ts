import { classifyAnswer, FAST_ERROR_MS, isJudgedStatus, judge, settlePending, type JudgeInput } from './fault-attribution';
import { isWellFormedError } from './upstream-answer';

const input = (fields: Partial<JudgeInput>): JudgeInput => ({ status: 500, answer: 'request_like', followed: false, canRetry: false, answeringOthers: false, ...fields });

describe('fault attribution (pure)', () => {
  it('judges 401/403/404 and the 5xx that are not retried; 502/503/504 and other 4xx are not judged', () => {
    expect([401, 403, 404, 500, 501, 505].every(isJudgedStatus)).toBe(true);
    expect([200, 400, 413, 422, 429, 502, 503, 504].some(isJudgedStatus)).toBe(false);
  });

  it('classifies a fast well-formed 5xx as request-like, a slow or malformed one as the server’s', () => {
    expect(classifyAnswer(500, true, 5)).toBe('request_like');
    expect(classifyAnswer(500, true, FAST_ERROR_MS + 1)).toBe('server');
    expect(classifyAnswer(500, false, 5)).toBe('server');
    expect(classifyAnswer(401, true, 5)).toBe('auth');
    expect(classifyAnswer(403, false, 5)).toBe('auth');
    expect(classifyAnswer(404, false, 5)).toBe('not_found');
  });

  it('a refused credential is always the scheduler’s (the client’s key never goes upstream)', () => {
    expect(judge(input({ status: 401, answer: 'auth', canRetry: true }))).toEqual({ fault: 'scheduler', kind: 'status_401', retry: true });
    expect(judge(input({ status: 403, answer: 'auth', followed: true }))).toEqual({ fault: 'scheduler', kind: 'status_403', retry: false });
  });

  it('a request-like answer is asked again elsewhere, then judged by what follows', () => {
    expect(judge(input({ canRetry: true }))).toEqual({ fault: 'pending' });
    expect(judge(input({ followed: true, canRetry: true }))).toEqual({ fault: 'request' });
    expect(judge(input({ answeringOthers: true }))).toEqual({ fault: 'request' });
    expect(judge(input({}))).toEqual({ fault: 'scheduler', kind: 'status_5xx', retry: false });
    expect(judge(input({ answer: 'server', followed: true, canRetry: true, answeringOthers: true }))).toEqual({ fault: 'scheduler', kind: 'status_5xx', retry: false });
  });

  it('a 404 is the scheduler’s only when another scheduler serves the same request', () => {
    expect(judge(input({ status: 404, answer: 'not_found', canRetry: true }))).toEqual({ fault: 'pending' });
    expect(judge(input({ status: 404, answer: 'not_found', followed: true, canRetry: true }))).toEqual({ fault: 'request' });
    expect(judge(input({ status: 404, answer: 'not_found' }))).toEqual({ fault: 'request' });
  });

  it('settles a pending answer by the other scheduler’s status', () => {
    expect(settlePending('request_like', 200, false)).toEqual({ fault: 'scheduler', kind: 'status_5xx', retry: false });
    expect(settlePending('not_found', 200, false)).toEqual({ fault: 'scheduler', kind: 'status_404', retry: false });
    expect(settlePending('request_like', 400, false)).toEqual({ fault: 'request' });
    expect(settlePending('request_like', undefined, true)).toEqual({ fault: 'request' });
    expect(settlePending('request_like', undefined, false)).toEqual({ fault: 'scheduler', kind: 'status_5xx', retry: false });
    expect(settlePending('not_found', undefined, false)).toEqual({ fault: 'request' });
  });

  it.each([
    ['llama.cpp', '{"error":{"code":500,"message":"Only one completion choice is allowed","type":"server_error"}}', true],
    ['OpenAI / vLLM (new)', '{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}', true],
    ['vLLM / SGLang (object: error)', '{"object":"error","message":"bad n","type":"BadRequestError","code":400}', true],
    ['FastAPI', '{"detail":"Internal Server Error"}', true],
    ['plain error string', '{"error":"boom"}', true],
    ['HTML crash page', '<html>Internal Server Error</html>', false],
    ['empty', '', false],
    ['cut JSON', '{"error":{"message":"bo', false],
    ['JSON array', '[1,2]', false],
    ['JSON without an error', '{"id":"x","choices":[]}', false],
    ['error object without a message', '{"error":{"code":500}}', false],
  ])('%s body well-formed: %p', (_name, body, expected) => {
    expect(isWellFormedError(Buffer.from(body))).toBe(expected);
  });
});
