import type { JsonSpan } from './otlp-receiver';

/*
 * Test-only: decodes an OTLP/HTTP protobuf trace export (ExportTraceServiceRequest)
 * into the same span shape as the JSON exports, from the protobuf wire format and
 * the OTLP field numbers (opentelemetry-proto trace/v1 and common/v1). The
 * OpenTelemetry JS packages serialize OTLP but ship no decoder.
 */

type Field = { number: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

/** The fields of one message, in order; nested messages stay bytes until read. */
function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buffer.length) throw new Error('protobuf: truncated varint');
      const byte = buffer[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const field: Field = { number: key >>> 3, wire: key & 7 };
    if (field.wire === 0) field.varint = varint();
    else if (field.wire === 2) {
      const length = Number(varint());
      field.bytes = buffer.subarray(at, at + length);
      at += length;
    } else if (field.wire === 1 || field.wire === 5) {
      const size = field.wire === 1 ? 8 : 4;
      field.fixed = buffer.subarray(at, at + size);
      at += size;
    } else throw new Error(`protobuf: wire type ${field.wire} not expected in OTLP traces`);
    if (at > buffer.length) throw new Error('protobuf: truncated field');
    out.push(field);
  }
  return out;
}

const nested = (buffer: Buffer, number: number): Buffer[] => fields(buffer).flatMap((f) => (f.number === number && f.bytes ? [f.bytes] : []));

/** AnyValue: string 1, bool 2, int 3, double 4. */
function anyValue(buffer: Buffer): JsonSpan['attributes'][number]['value'] {
  for (const f of fields(buffer)) {
    if (f.number === 1 && f.bytes) return { stringValue: f.bytes.toString('utf8') };
    if (f.number === 2 && f.varint !== undefined) return { boolValue: f.varint !== 0n };
    if (f.number === 3 && f.varint !== undefined) return { intValue: String(BigInt.asIntN(64, f.varint)) };
    if (f.number === 4 && f.fixed) return { doubleValue: f.fixed.readDoubleLE(0) };
  }
  return {};
}

/** Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9 (KeyValue: key 1, value 2), status 15 (code 3). */
function span(buffer: Buffer): JsonSpan {
  const decoded: JsonSpan = { traceId: '', spanId: '', name: '', kind: 0, attributes: [] };
  for (const f of fields(buffer)) {
    if (f.number === 1 && f.bytes) decoded.traceId = f.bytes.toString('hex');
    else if (f.number === 2 && f.bytes) decoded.spanId = f.bytes.toString('hex');
    else if (f.number === 4 && f.bytes) decoded.parentSpanId = f.bytes.toString('hex');
    else if (f.number === 5 && f.bytes) decoded.name = f.bytes.toString('utf8');
    else if (f.number === 6 && f.varint !== undefined) decoded.kind = Number(f.varint);
    else if (f.number === 9 && f.bytes) {
      const kv = fields(f.bytes);
      const key = kv.find((x) => x.number === 1)?.bytes?.toString('utf8') ?? '';
      const value = kv.find((x) => x.number === 2)?.bytes;
      decoded.attributes.push({ key, value: value ? anyValue(value) : {} });
    } else if (f.number === 15 && f.bytes) decoded.status = { code: Number(fields(f.bytes).find((x) => x.number === 3)?.varint ?? 0n) };
  }
  return decoded;
}

/** Every span of an ExportTraceServiceRequest: resource_spans 1 → scope_spans 2 → spans 2. */
export function decodeOtlpTraces(body: Buffer): JsonSpan[] {
  return nested(body, 1).flatMap((resourceSpans) => nested(resourceSpans, 2).flatMap((scopeSpans) => nested(scopeSpans, 2).map(span)));
}
