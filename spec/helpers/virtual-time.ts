import type { SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/** A TestScheduler whose assertions are jest's deep equality. */
export const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs `work` at virtual `frame` on the double's scheduler (inside `TestScheduler.run`). */
export function at(server: { readonly scheduler: SchedulerLike }, frame: number, work: () => void): void {
  server.scheduler.schedule(work, frame);
}
