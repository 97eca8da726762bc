import * as grpc from '@grpc/grpc-js';
import { CLIENT_CHANNEL_OPTIONS, loadServices, type GatewayReport, type ReportAck, type RoutingTable, type WatchRequest } from '@switchyard/proto';

/** The RoutingService client with its methods typed (proto-loader creates them at run time). */
export interface RoutingServiceClient extends grpc.Client {
  WatchRoutingTable(request: WatchRequest): grpc.ClientReadableStream<RoutingTable>;
  ReportStats(callback: (err: grpc.ServiceError | null, ack?: ReportAck) => void): grpc.ClientWritableStream<GatewayReport>;
}

/** A plaintext client for `host:port` with keepalive (a dead peer is noticed in seconds) and room for large snapshots. */
export function createRoutingServiceClient(address: string): RoutingServiceClient {
  const { RoutingService } = loadServices();
  return new RoutingService(address, grpc.credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS) as unknown as RoutingServiceClient;
}
