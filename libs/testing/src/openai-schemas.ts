import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Validates payloads against the public OpenAI schemas kept in the shared folder
 * beside the repository (`../shared/spec/openai-schemas.json`), or the file named
 * by OPENAI_SCHEMAS_FILE.
 */
export function schemaFile(): string {
  return process.env.OPENAI_SCHEMAS_FILE ?? path.resolve(__dirname, '../../../../shared/spec/openai-schemas.json');
}

export type SchemaName =
  | 'CreateChatCompletionRequest'
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateCompletionRequest'
  | 'CreateCompletionResponse'
  | 'CreateEmbeddingRequest'
  | 'CreateEmbeddingResponse'
  | 'ListModelsResponse'
  | 'Model'
  | 'ErrorResponse';

export interface SchemaValidator {
  /** Throws with ajv's messages when `value` does not match the named schema. */
  assertValid(name: SchemaName, value: unknown): void;
}

export function createSchemaValidator(file = schemaFile()): SchemaValidator {
  const document = JSON.parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The schema file's own note: format "unixtime" is an integer of seconds.
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema({ $id: 'openai', components: document.components });
  const compiled = new Map<SchemaName, ValidateFunction>();
  return {
    assertValid(name, value) {
      let validate = compiled.get(name);
      if (!validate) {
        validate = ajv.compile({ $ref: `openai#/components/schemas/${name}` });
        compiled.set(name, validate);
      }
      if (!validate(value)) {
        throw new Error(`${name} validation failed: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`);
      }
    },
  };
}
