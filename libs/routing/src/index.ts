export * from './types';
export { roundRobin } from './round-robin';
export { weightedRandom } from './weighted-random';
