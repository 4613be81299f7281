import { TestScheduler } from 'rxjs/testing';
import type { WebSocketServerDouble } from '../../lib/testing/index';

/** A TestScheduler whose assertions are jest's deep equality. */
export const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs `work` at virtual `frame` on the double's scheduler (inside `TestScheduler.run`). */
export function at(server: WebSocketServerDouble, frame: number, work: () => void): void {
  server.scheduler.schedule(work, frame);
}
