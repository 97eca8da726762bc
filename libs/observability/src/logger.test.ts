import { PassThrough } from 'node:stream';
import { createLogger, infoLineWriter } from './logger';

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

describe('infoLineWriter', () => {
  it('writes the line logger.info would, through the same stream and level', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'gateway', stream });
    const write = infoLineWriter(logger);
    logger.info('request', { component: 'proxy', status: 200, model: 'm"\n' });
    write('request', { component: 'proxy', status: 200, model: 'm"\n', error: undefined });
    await new Promise((r) => setImmediate(r));
    const [viaWinston, viaWriter] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect({ ...viaWriter, timestamp: 't' }).toEqual({ ...viaWinston, timestamp: 't' });
    expect(Date.parse(String(viaWriter!.timestamp))).not.toBeNaN();
  });

  it('writes a valid line for no fields, and its fixed keys win over same-named fields', async () => {
    const { stream, lines } = capture();
    const write = infoLineWriter(createLogger({ service: 'gateway', stream }));
    write('started', {});
    write('request', { level: 'debug', service: 'other', status: 200 });
    await new Promise((r) => setImmediate(r));
    const [empty, clashing] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(empty!)).toEqual(['level', 'message', 'service', 'timestamp']);
    expect(clashing).toMatchObject({ level: 'info', service: 'gateway', status: 200, message: 'request' });
  });

  it('writes nothing below info, and falls back to logger.info for other loggers', async () => {
    const { stream, lines } = capture();
    const quiet = createLogger({ service: 'gateway', level: 'warn', stream });
    infoLineWriter(quiet)('request', { status: 200 });
    const child = createLogger({ service: 'gateway', stream }).child({ component: 'x' });
    infoLineWriter(child)('request', { status: 201 });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ status: 201, component: 'x' })]);
  });
});
