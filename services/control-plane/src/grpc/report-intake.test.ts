import { createRoutingClient, type GatewayReport } from '@switchyard/proto';
import { waitFor } from '@switchyard/testing';
import { createMemoryStateStore } from '../state/memory-state-store';
import { capturingLogger } from '../test-support/redis-fixture';
import { createGatewayTracker } from './gateway-tracker';
import { createGrpcServer } from './grpc-server';
import { createReportIntake } from './report-intake';

const report = (gatewayId: string, sentAtMs: number): GatewayReport => ({
  gateway_id: gatewayId,
  table_epoch: 1,
  table_version: 3,
  sent_at_ms: sentAtMs,
  schedulers: [{ scheduler_id: 's-1', requests: 5, errors_by_kind: {}, latency_p50_ms: 1, latency_p95_ms: 2, ttft_p50_ms: 1, ttft_p95_ms: 2, in_flight: 0, breaker_state: 'closed' }],
  responses_by_status_class: { '2xx': 5 },
});

describe('report intake (issue 16 item 4)', () => {
  it('sheds reports later than the gateway usually is, whatever its clock says', () => {
    let now = 1_000_000;
    const intake = createReportIntake({ now: () => now, maxLagMs: 500 });
    // A gateway whose clock runs an hour ahead: its delays are negative, and that alone sheds nothing.
    expect(intake.admit(report('ahead', now + 3_600_000 - 20))).toBe(true);
    now += 1_000;
    expect(intake.admit(report('ahead', now + 3_600_000 - 30))).toBe(true);
    // The control plane fell 2 s behind: the queued reports come out late and are shed, the next fresh one counts.
    expect(intake.admit(report('gw', now - 10))).toBe(true);
    now += 2_000;
    expect(intake.admit(report('gw', now - 2_010))).toBe(false);
    expect(intake.admit(report('gw', now - 1_010))).toBe(false);
    expect(intake.admit(report('gw', now - 10))).toBe(true);
    expect(intake.counts()).toEqual({ received: 6, shed: 2 });
  });

  it('forgets a clock step on the gateway within two baseline periods', () => {
    let now = 0;
    const intake = createReportIntake({ now: () => now, maxLagMs: 500 });
    expect(intake.admit(report('gw', now))).toBe(true);
    // The gateway's clock steps back 10 s: its reports look 10 s late until the old baseline ages out.
    now += 1_000;
    expect(intake.admit(report('gw', now - 10_000))).toBe(false);
    now += 31_000;
    expect(intake.admit(report('gw', now - 10_000))).toBe(false);
    now += 31_000;
    expect(intake.admit(report('gw', now - 10_000))).toBe(true);
  });

  it('over real gRPC: reports queued while the event loop was blocked are shed, the applied version is still recorded', async () => {
    const tracker = createGatewayTracker(Date.now);
    const aggregated: GatewayReport[] = [];
    const gateways = { ...tracker, recordReport: (r: GatewayReport) => (tracker.recordReport(r), r.schedulers.length > 0 && aggregated.push(r)) };
    const reports = createReportIntake({ now: Date.now, maxLagMs: 300 });
    const server = createGrpcServer({ host: '127.0.0.1', port: 0, store: createMemoryStateStore(), gateways, logger: capturingLogger().logger, shutdownGraceMs: 1_000, reports });
    await server.start();
    const client = createRoutingClient(`127.0.0.1:${server.port()}`);
    try {
      const call = client.ReportStats(() => undefined);
      call.write(report('gw-busy', Date.now()));
      await waitFor(() => aggregated.length === 1, 2_000, 10, 'the first report');
      // Twenty reports written, then the process is busy for 800 ms before anything reads them: they arrive late.
      for (let i = 0; i < 20; i++) call.write(report('gw-busy', Date.now()));
      const until = Date.now() + 800;
      while (Date.now() < until) {
        // Busy: the control plane cannot read its socket.
      }
      await waitFor(() => reports.counts().received === 21, 3_000, 10, 'the queued reports');
      expect(reports.counts().shed).toBe(20);
      expect(aggregated).toHaveLength(1);
      expect(tracker.list()[0]).toMatchObject({ gateway_id: 'gw-busy', applied_version: 3 });
      call.write(report('gw-busy', Date.now()));
      await waitFor(() => aggregated.length === 2, 2_000, 10, 'a fresh report aggregated again');
      call.end();
    } finally {
      client.close();
      await server.stop();
    }
  });
});
