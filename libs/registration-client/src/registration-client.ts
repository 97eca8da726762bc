// Filled in by the sim-scheduler work: register, heartbeat, deregister.
export {};
