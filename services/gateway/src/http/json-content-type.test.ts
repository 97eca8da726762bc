import { isJsonMediaType, jsonBodyRefusal } from './json-content-type';

describe('JSON content-type check (issue 21)', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', ' application/json ', 'application/merge-patch+json', 'application/vnd.example+json; v=1'])('accepts %j', (value) => {
    expect(isJsonMediaType(value)).toBe(true);
  });

  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/+json', 'text/json+json', 'json'])('refuses %j', (value) => {
    expect(isJsonMediaType(value)).toBe(false);
  });

  it('accepts a missing content-type except from a browser, and names what it got', () => {
    expect(jsonBodyRefusal({})).toBeUndefined();
    expect(jsonBodyRefusal({ 'content-type': '' })).toBeUndefined();
    expect(jsonBodyRefusal({ origin: 'http://evil.example' })?.status).toBe(415);
    const refused = jsonBodyRefusal({ 'content-type': `text/plain${'x'.repeat(500)}` })!;
    expect(refused.toBody().error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type', param: null });
    expect(refused.message.length).toBeLessThan(250);
  });
});
