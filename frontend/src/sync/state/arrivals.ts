// Posts by others as they reach me, newest last, so that the views can announce them.
import type { WallEvent } from "../events";
import { sameHandle } from "../handles";

const KEPT = 50;

export class Arrivals {
  private posts: { n: number; id: string; author: string; wall: string }[] = [];
  private count = 0;

  constructor(private readonly me: string) {}

  note(events: Iterable<WallEvent>): void {
    for (const e of events) {
      if (e.kind !== "post" || sameHandle(e.author, this.me)) continue;
      this.posts.push({ n: ++this.count, id: e.id, author: e.author, wall: e.wall });
    }
    if (this.posts.length > KEPT) this.posts = this.posts.slice(-KEPT);
  }

  /** Posts that arrived after the ``after``-th arrival (at most the last 50), and the count so far. */
  since(after: number): { count: number; posts: { author: string; wall: string }[] } {
    return { count: this.count, posts: this.posts.filter((a) => a.n > after) };
  }
}
