import * as grpc from '@grpc/grpc-js';
import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import { loadServices, SERVER_KEEPALIVE_OPTIONS } from '@switchyard/proto';
import type { StateStore } from '../state/state-store';
import type { GatewayTracker } from './gateway-tracker';
import { createHealthService } from './health-service';
import type { ReportIntake } from './report-intake';
import { createRoutingService } from './routing-service';
import { createTableFeed, type TableFeed } from './table-feed';

export interface GrpcServerDeps {
  host: string;
  port: number;
  store: StateStore;
  gateways: GatewayTracker;
  logger: Logger;
  /** How long stop() lets calls finish before it forces the server down. */
  shutdownGraceMs: number;
  /** The replica's table feed, when others read it too (metrics, admin); else the server makes its own. */
  feed?: TableFeed;
  /** Sheds late gateway reports (issue 16 item 4). */
  reports?: ReportIntake;
}

export interface GrpcServer extends Component {
  /** The bound port (meaningful after start(); GRPC_PORT=0 picks a free one). */
  port(): number;
}

/**
 * The gRPC server: RoutingService plus grpc.health.v1 on one port, insecure
 * credentials (the stream carries scheduler api keys, so it must stay inside the
 * cluster; see ARCHITECTURE.md, "gRPC"). Every stored table is broadcast (as a
 * change batch or a snapshot, per stream) as soon as the store announces it.
 */
export function createGrpcServer(deps: GrpcServerDeps): GrpcServer {
  const log = deps.logger.child({ component: 'grpc-server' });
  const services = loadServices();
  const feed = deps.feed ?? createTableFeed({ store: deps.store, logger: deps.logger });
  const routing = createRoutingService({ feed, gateways: deps.gateways, logger: deps.logger, reports: deps.reports });
  const health = createHealthService();
  let server: grpc.Server | undefined;
  let boundPort = 0;
  let unsubscribe: (() => void) | undefined;

  const broadcastLatest = () => {
    feed.refresh().then(
      () => routing.broadcast(),
      (err: unknown) => log.error('cannot read the table to broadcast', { error: String(err) }),
    );
  };

  return {
    name: 'grpc-server',
    port: () => boundPort,
    async start() {
      server = new grpc.Server(SERVER_KEEPALIVE_OPTIONS);
      server.addService(serializeOnce(services.RoutingService.service), routing.implementation);
      server.addService(services.Health.service, health.implementation);
      boundPort = await bind(server, deps.host, deps.port);
      unsubscribe = deps.store.onChange((change) => {
        if (change.kind === 'table') broadcastLatest();
      });
      broadcastLatest();
    },
    async stop() {
      unsubscribe?.();
      if (!server) return;
      health.setServing(false);
      routing.closeAll();
      health.closeAll();
      await shutdown(server, deps.shutdownGraceMs);
      server = undefined;
    },
  };
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

/** tryShutdown lets calls in flight finish; past the deadline forceShutdown cancels them. */
function shutdown(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    deadline.unref();
    server.tryShutdown(() => {
      clearTimeout(deadline);
      resolve();
    });
  });
}

/**
 * The RoutingService definition with WatchRoutingTable's messages encoded once
 * per table or batch object, not once per stream: the feed hands every stream
 * the same objects, and a snapshot with 100,000 keys takes about 100 ms to encode,
 * which 200 gateways connecting at once would pay 200 times (issue 16).
 */
function serializeOnce(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const watch = service.WatchRoutingTable;
  if (!watch) return service;
  const encoded = new WeakMap<object, Buffer>();
  const responseSerialize = (message: object): Buffer => {
    let buffer = encoded.get(message);
    if (!buffer) {
      buffer = watch.responseSerialize(message);
      encoded.set(message, buffer);
    }
    return buffer;
  };
  return { ...service, WatchRoutingTable: { ...watch, responseSerialize } };
}
