import * as grpc from '@grpc/grpc-js';

type CheckRequest = { service: string };
type CheckResponse = { status: 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' };

/** Service names this server answers for ('' is the server as a whole). */
const KNOWN_SERVICES = new Set(['', 'switchyard.v1.RoutingService']);

export interface HealthService {
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Flips every known service to NOT_SERVING (at shutdown) and tells watchers. */
  setServing(serving: boolean): void;
  /** Ends every Watch stream. */
  closeAll(): void;
}

/**
 * Standard `grpc.health.v1.Health` (Check and Watch) so load balancers and
 * Kubernetes gRPC probes can check the control plane. Unknown service names get
 * NOT_FOUND from Check and SERVICE_UNKNOWN from Watch, as the protocol says.
 */
export function createHealthService(): HealthService {
  let serving = true;
  const watchers = new Set<grpc.ServerWritableStream<CheckRequest, CheckResponse>>();
  const statusOf = (service: string): CheckResponse['status'] =>
    !KNOWN_SERVICES.has(service) ? 'SERVICE_UNKNOWN' : serving ? 'SERVING' : 'NOT_SERVING';

  const check = (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
    const service = call.request.service;
    if (!KNOWN_SERVICES.has(service)) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service '${service}'` });
      return;
    }
    callback(null, { status: statusOf(service) });
  };

  const watch = (call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) => {
    watchers.add(call);
    const forget = () => watchers.delete(call);
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('close', forget);
    call.write({ status: statusOf(call.request.service) });
  };

  return {
    implementation: { Check: check, Watch: watch } as grpc.UntypedServiceImplementation,
    setServing(next) {
      if (next === serving) return;
      serving = next;
      for (const call of watchers) call.write({ status: statusOf(call.request.service) });
    },
    closeAll() {
      for (const call of [...watchers]) {
        watchers.delete(call);
        call.end();
      }
    },
  };
}
