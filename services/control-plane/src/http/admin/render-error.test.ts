import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import { createLogger } from '@switchyard/observability';
import { createSchemaValidator } from '@switchyard/testing';
import { errorMiddleware } from './render-error';

describe('errorMiddleware', () => {
  it('turns an unexpected error into a 500 envelope without internals, and logs the stack', async () => {
    let logs = '';
    const stream = new PassThrough().on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const app = express();
    app.get('/boom', () => {
      throw new Error('secret internal detail');
    });
    app.use(errorMiddleware(createLogger({ service: 'control-plane', stream })));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
      const text = await res.text();
      expect(res.status).toBe(500);
      createSchemaValidator().assertValid('ErrorResponse', JSON.parse(text));
      expect(JSON.parse(text).error).toMatchObject({ type: 'server_error', code: 'internal_error' });
      expect(text).not.toContain('secret internal detail');
      expect(text).not.toContain('render-error');
      expect(logs).toContain('secret internal detail');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
