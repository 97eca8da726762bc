import { createGatewayTracker } from './gateway-tracker';

describe('gateway tracker', () => {
  it('lists the admission queues of each gateway\'s last report (issue 19), [] before one or from an older gateway', () => {
    const tracker = createGatewayTracker(() => 1_000);
    tracker.connect('gw-a', 'report');
    tracker.connect('gw-b', 'report');
    const queues = [{ model: 'm', waiting_by_priority: { batch: 7, interactive: 1 }, saturation: 1, sheds_by_reason: { queue_timeout: 2 } }];
    tracker.recordReport({ gateway_id: 'gw-a', table_epoch: 1, table_version: 3, sent_at_ms: 1, schedulers: [], queues });
    tracker.recordReport({ gateway_id: 'gw-b', table_epoch: 1, table_version: 3, sent_at_ms: 1, schedulers: [] });
    expect(tracker.list().map((g) => [g.gateway_id, g.queues])).toEqual([['gw-a', queues], ['gw-b', []]]);
  });
});
