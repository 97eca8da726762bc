/** One waiting request as the order sees it. */
export interface Queued {
  readonly user: string;
  /** Index of its priority class, 0 = most urgent. */
  readonly rank: number;
}

interface ClassLane<T extends Queued> {
  /** Each user's requests, oldest first. */
  readonly byUser: Map<string, T[]>;
  /** Users with requests, in turn order: the next request comes from the first. */
  readonly turn: string[];
}

/**
 * The order of one model's queue (issue 19): strict priority between classes,
 * and within a class round-robin over users, so a tenant with a hundred queued
 * requests and one with a single request alternate instead of the single one
 * waiting behind the hundred. Pure data structure; sizes are bounded by the
 * queue's length, so removals may scan.
 */
export class FairOrder<T extends Queued> {
  private readonly lanes: ClassLane<T>[];
  private readonly perUser = new Map<string, number>();
  private count = 0;

  constructor(classes: number) {
    this.lanes = Array.from({ length: classes }, () => ({ byUser: new Map<string, T[]>(), turn: [] }));
  }

  get size(): number {
    return this.count;
  }

  /** Requests of `user` waiting, all classes. */
  countOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  /** Users with a request waiting. */
  get users(): number {
    return this.perUser.size;
  }

  /** Requests waiting in class `rank`. */
  depthOf(rank: number): number {
    let n = 0;
    for (const list of this.lanes[rank]!.byUser.values()) n += list.length;
    return n;
  }

  push(item: T): void {
    const lane = this.lanes[item.rank]!;
    const list = lane.byUser.get(item.user);
    if (list) list.push(item);
    else {
      lane.byUser.set(item.user, [item]);
      lane.turn.push(item.user);
    }
    this.perUser.set(item.user, this.countOf(item.user) + 1);
    this.count += 1;
  }

  /** Takes `item` out; `served` moves its user to the back of its class's turn. False if it was not queued. */
  remove(item: T, served = false): boolean {
    const lane = this.lanes[item.rank]!;
    const list = lane.byUser.get(item.user);
    const at = list?.indexOf(item) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    const turnAt = lane.turn.indexOf(item.user);
    if (list.length === 0) {
      lane.byUser.delete(item.user);
      lane.turn.splice(turnAt, 1);
    } else if (served) {
      lane.turn.splice(turnAt, 1);
      lane.turn.push(item.user);
    }
    const left = this.countOf(item.user) - 1;
    if (left > 0) this.perUser.set(item.user, left);
    else this.perUser.delete(item.user);
    this.count -= 1;
    return true;
  }

  /** The next requests to serve, best first: each user's oldest, in turn order, class by class. */
  *inOrder(): Generator<T> {
    for (const lane of this.lanes) {
      for (const user of [...lane.turn]) {
        const first = lane.byUser.get(user)?.[0];
        if (first) yield first;
      }
    }
  }

  /**
   * What to give up when the queue is full: the newest request of the user with
   * the most requests in the least urgent class that has any.
   */
  victim(): T | undefined {
    for (let rank = this.lanes.length - 1; rank >= 0; rank -= 1) {
      let longest: T[] | undefined;
      for (const list of this.lanes[rank]!.byUser.values()) if (!longest || list.length > longest.length) longest = list;
      if (longest) return longest[longest.length - 1];
    }
    return undefined;
  }

  /** Every request, for shutdown. */
  *all(): Generator<T> {
    for (const lane of this.lanes) for (const list of lane.byUser.values()) yield* list;
  }
}
