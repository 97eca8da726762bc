import * as grpc from '@grpc/grpc-js';
import { loadServices, SERVER_KEEPALIVE_OPTIONS, type GatewayReport, type RoutingTable, type WatchRequest } from '@switchyard/proto';

/**
 * A real gRPC RoutingService that serves tables the test pushes (test helper). It
 * answers every watch with the current snapshot, whatever the request says, as a
 * control plane of the previous release does (issue 16); batches are sent only by
 * the test, with send().
 */
export interface FakeControlPlane {
  /** `127.0.0.1:<port>`, for CONTROL_PLANE_ADDR. */
  readonly address: string;
  /** Makes `table` current and streams it to every watching gateway. */
  push(table: RoutingTable): void;
  /** Streams `message` (a change batch, well-formed or not) to every watching gateway; the current table stays. */
  send(message: RoutingTable): void;
  readonly watchRequests: WatchRequest[];
  readonly reports: GatewayReport[];
  watcherCount(): number;
  /** Kills the server and every stream at once, as a crash would. */
  stop(): Promise<void>;
}

export async function startFakeControlPlane(initial?: RoutingTable): Promise<FakeControlPlane> {
  const { RoutingService } = loadServices();
  const server = new grpc.Server(SERVER_KEEPALIVE_OPTIONS);
  const watchers = new Set<grpc.ServerWritableStream<WatchRequest, RoutingTable>>();
  const watchRequests: WatchRequest[] = [];
  const reports: GatewayReport[] = [];
  let current = initial;
  server.addService(RoutingService.service, {
    WatchRoutingTable(call: grpc.ServerWritableStream<WatchRequest, RoutingTable>) {
      watchRequests.push(call.request);
      watchers.add(call);
      const forget = () => watchers.delete(call);
      call.on('cancelled', forget);
      call.on('close', forget);
      call.on('error', forget);
      if (current) call.write(current);
    },
    ReportStats(call: grpc.ServerReadableStream<GatewayReport, unknown>, callback: grpc.sendUnaryData<{ current_version: number }>) {
      call.on('data', (report: GatewayReport) => reports.push(report));
      call.on('error', () => undefined);
      call.on('end', () => callback(null, { current_version: current?.version ?? 0 }));
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    address: `127.0.0.1:${port}`,
    push(table) {
      current = table;
      for (const call of watchers) call.write(table);
    },
    send(message) {
      for (const call of watchers) call.write(message);
    },
    watchRequests,
    reports,
    watcherCount: () => watchers.size,
    async stop() {
      server.forceShutdown();
    },
  };
}
