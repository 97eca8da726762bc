import type { ServerResponse } from 'node:http';
import type { ApiError } from '@switchyard/contracts';
import { sendJson } from './send';

/**
 * Errors as llama.cpp's `llama-server` renders them (SIM_ERROR_STYLE=llamacpp,
 * issue 21): a client's invalid argument (`n > 1`, a bad `response_format`) is
 * answered **500** `{"error": {"code", "message", "type": "server_error"}}`; 401,
 * 404 and the rest keep their status with llama.cpp's type names; every answer
 * names the server. Gateways must not take these 500s for a failing scheduler.
 */
export function sendLlamaCppError(res: ServerResponse, err: ApiError): void {
  const status = err.status === 400 ? 500 : err.status;
  const body = { error: { code: status, message: err.message, type: llamaCppType(status) } };
  if (!res.headersSent) return sendJson(res, status, body, { ...err.headers, server: 'llama.cpp' });
  if (!res.writableEnded) res.end(`data: ${JSON.stringify(body)}\n\n`);
}

function llamaCppType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 503) return 'unavailable_error';
  return status < 500 ? 'invalid_request_error' : 'server_error';
}
