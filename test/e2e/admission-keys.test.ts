import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, stopAll, type ServiceProcess } from '@switchyard/testing';

// Issue 19 acceptance: a key with an unknown priority class is rejected at load, with
// a clear message naming the entry, the field and the classes (the built control plane).

describe('API keys file with priority classes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-admission-keys-'));
  const processes: ServiceProcess[] = [];
  afterAll(async () => {
    await stopAll(processes);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the control plane at start-up when a key names an unknown class', async () => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: [{ key: 'sk-batch-key-0001', user: 'a', priority: 'batch' }, { key: 'sk-urgent-key-001', user: 'b', priority: 'urgent' }] }));
    const p = startService('control-plane', { ADMIN_PORT: '0', GRPC_PORT: '0', API_KEYS_FILE: file });
    processes.push(p);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain(`API_KEYS_FILE ${file}: keys[1].priority: must be one of "interactive", "standard", "batch"`);
    expect(p.output()).not.toContain('sk-urgent');
  });
});
