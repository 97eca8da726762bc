import { invalidRequest } from '@switchyard/contracts';
import { countTokens } from '../generation/tokenizer';
import type { GenerationRequest } from './generation-request';
import { generationOptionsOf, optionalBoolean, requireModel, requireObject, type Body, type ParseContext } from './request-fields';

/**
 * `POST /v1/chat/completions`. Prompt tokens are the tokens of every message's
 * text (no per-message overhead). With `continue_final_message: true` (vLLM/SGLang
 * extension, issue 10) the last message is a partial assistant answer and the sim
 * continues it from token index = its token count.
 */
export function parseChatRequest(raw: unknown, context: ParseContext): GenerationRequest {
  const body = requireObject(raw);
  const model = requireModel(body, context);
  const messages = requireMessages(body);
  const options = generationOptionsOf(body, context);
  const continueFinal = optionalBoolean(body, 'continue_final_message') ?? false;
  if (continueFinal && optionalBoolean(body, 'add_generation_prompt') === true) {
    throw invalidRequest("'continue_final_message' and 'add_generation_prompt' cannot both be true.", 'continue_final_message', 'invalid_value');
  }
  const last = messages[messages.length - 1]!;
  if (continueFinal && last.role !== 'assistant') {
    throw invalidRequest("'continue_final_message' needs the last message to be an assistant message.", 'messages', 'invalid_value');
  }
  return {
    kind: 'chat',
    model,
    ...options,
    startIndex: continueFinal ? countTokens(last.text) : 0,
    promptTokens: messages.reduce((sum, m) => sum + countTokens(m.text), 0),
    promptSegments: messages.map((m) => ({ tag: m.role, content: m.text })),
  };
}

interface Message {
  role: string;
  text: string;
}

function requireMessages(body: Body): Message[] {
  const messages = body.messages;
  if (messages === undefined) throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) throw invalidRequest("'messages' must be an array.", 'messages', 'invalid_type');
  if (messages.length === 0) throw invalidRequest("'messages' must contain at least one message.", 'messages', 'invalid_value');
  return messages.map((message: unknown, i) => {
    const param = `messages[${i}]`;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) throw invalidRequest(`'${param}' must be an object.`, param, 'invalid_type');
    const { role, content } = message as Body;
    if (typeof role !== 'string' || role === '') throw invalidRequest(`'${param}.role' must be a non-empty string.`, `${param}.role`, 'invalid_type');
    return { role, text: contentText(content, `${param}.content`) };
  });
}

/** A string, null, or an array of parts of which the `text` ones count. */
function contentText(content: unknown, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidRequest(`'${param}' must be a string or an array of content parts.`, param, 'invalid_type');
  return content
    .map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as Body).text === 'string' ? ((part as Body).text as string) : ''))
    .join('');
}
