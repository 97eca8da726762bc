import { PassThrough } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with service, level and child metadata', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'gateway', stream });
    logger.child({ component: 'proxy', request_id: 'req_1' }).info('forwarded', { status: 200 });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ service: 'gateway', component: 'proxy', request_id: 'req_1', level: 'info', message: 'forwarded', status: 200 });
    expect(typeof line.timestamp).toBe('string');
  });

  it('redacts secret-bearing and prompt fields', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'gateway', stream });
    logger.info('request', { authorization: 'Bearer sk-secret', api_key: 'sk-x', messages: [{ content: 'hi' }] });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).not.toContain('sk-secret');
    expect(lines[0]).not.toContain('sk-x');
    expect(lines[0]).not.toContain('hi');
    expect(JSON.parse(lines[0]!).authorization).toBe('[redacted]');
  });
});
