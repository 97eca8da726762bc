import { createServer } from 'node:net';

/*
 * Ports handed to child processes are chosen below Linux's ephemeral range
 * (32768+), where the kernel picks ports for `listen(0)` and outgoing connections:
 * a port found free there could be taken by such a socket before the child binds
 * it. Each jest worker takes its own slice, and never hands out a port twice, so
 * two workers' tests cannot race for one port either.
 */
const RANGE_START = 20_000;
const SLICE_SIZE = 3_000;
const SLICES = 4;
const ATTEMPTS = 100;

// Test-only: jest numbers its workers from 1 (outside jest, one slice is used).
const slice = ((Number(process.env.JEST_WORKER_ID) || 1) - 1) % SLICES;
let nextOffset = Math.floor(Math.random() * SLICE_SIZE);

function nextCandidate(): number {
  const port = RANGE_START + slice * SLICE_SIZE + (nextOffset % SLICE_SIZE);
  nextOffset += 1;
  return port;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port free on 127.0.0.1 right now and not handed out before (for child processes that need it up front). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = nextCandidate();
    if (await canListen(port)) return port;
  }
  throw new Error(`freePort: no free port in ${ATTEMPTS} tries of this worker's slice`);
}
