/** The fake scheduler fleet of `bench/probe-load.mjs --fleet`, as bench:probe and bench:scale start it. */

/**
 * Waits for the fleet's first line: the ports of its schedulers and of its control server.
 * @param {import('./processes.mjs').Child} fleet
 * @returns {Promise<{ports: number[], control_port: number}>}
 */
export function fleetPorts(fleet) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fleet did not start: ${fleet.tail()}`)), 60_000);
    const check = setInterval(() => {
      const line = fleet.tail().split('\n').find((l) => l.startsWith('{"ports"'));
      if (!line) return;
      clearInterval(check);
      clearTimeout(timer);
      resolve(JSON.parse(line));
    }, 50);
  });
}
