import type { z } from 'zod';
import { invalidRequest } from '@switchyard/contracts';

/**
 * Parses a request body with a zod schema; on failure, one 400 naming every
 * problem, with `param` = the first offending field (as OpenAI does).
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Request body must be a JSON object (Content-Type: application/json).', null, 'invalid_body');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issueField(issue);
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  const param = issueField(result.error.issues[0]!) ?? null;
  throw invalidRequest(problems.join('; '), param, 'invalid_field');
}

function issueField(issue: z.core.$ZodIssue): string | undefined {
  if (issue.path.length > 0) return issue.path.map(String).join('.');
  // `.strict()` reports unknown keys at the root with their names in `keys`.
  if (issue.code === 'unrecognized_keys') return issue.keys[0];
  return undefined;
}
