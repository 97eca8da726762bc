import { existsSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { GatewayReport, ReportAck, RoutingTable, WatchRequest } from './messages';

/** Options shared by both planes so the message shapes in messages.ts hold. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

const PROTO_FILES = ['switchyard/v1/routing.proto', 'grpc/health/v1/health.proto'];

/**
 * Where the .proto files are: copied next to the compiled code by the build (so a
 * deployed package is self-contained), else the repository's proto/ folder.
 */
export function protoRoot(): string {
  const candidates = [path.join(__dirname, 'proto'), path.resolve(__dirname, '../../../proto')];
  const found = candidates.find((dir) => existsSync(path.join(dir, PROTO_FILES[0]!)));
  if (!found) throw new Error(`proto files not found in ${candidates.join(' or ')}`);
  return found;
}

export interface LoadedServices {
  RoutingService: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
}

let cached: LoadedServices | undefined;

/** Loads and caches the service definitions (parsing protos costs ~30 ms). */
export function loadServices(): LoadedServices {
  if (cached) return cached;
  const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    switchyard: { v1: { RoutingService: grpc.ServiceClientConstructor } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  cached = { RoutingService: pkg.switchyard.v1.RoutingService, Health: pkg.grpc.health.v1.Health };
  return cached;
}

/** Keepalive on both ends so a dead peer is noticed within ~20 s, not at the next TCP timeout. */
export const KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.max_pings_without_data': 0,
};

/**
 * What a RoutingService client opens its channel with: keepalive, room for a
 * large snapshot (grpc-js refuses messages over 4 MB by default; 100,000 keys
 * are about 3.4 MB packed, 10 MB as ApiKeyRecord messages, issue 16), and an
 * HTTP/2 flow-control window that lets a snapshot arrive in one go: with the
 * default 64 KB window a 3.4 MB snapshot waits for ≈ 50 WINDOW_UPDATE round trips,
 * each through both processes' event loops.
 */
export const CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...KEEPALIVE_OPTIONS,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
};

export const SERVER_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  ...KEEPALIVE_OPTIONS,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  'grpc.http2.min_time_between_pings_ms': 5_000,
};

/** The RoutingService client with its methods typed (proto-loader creates them at run time). */
export interface RoutingServiceClient extends grpc.Client {
  WatchRoutingTable(request: WatchRequest): grpc.ClientReadableStream<RoutingTable>;
  ReportStats(callback: (err: grpc.ServiceError | null, ack?: ReportAck) => void): grpc.ClientWritableStream<GatewayReport>;
}

/**
 * The one RoutingService client factory (the gateway's, and tests' without their
 * own grpc-js dependency): plaintext to `host:port`, keepalive so a dead peer is
 * noticed in seconds, and room for large snapshots.
 */
export function createRoutingClient(address: string): RoutingServiceClient {
  return new (loadServices().RoutingService)(address, grpc.credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS) as unknown as RoutingServiceClient;
}
