import { accountStream, exactlyOnce, sumAccounts, type ProofLedger } from './feed-proof';

describe('the exactly-once ledger', () => {
  it('counts a clean stream as all delivered', () => {
    expect(accountStream(3, [1, 2, 3])).toEqual({ sent: 3, delivered: 3, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('counts what is missing as lost, a repeat as duplicated, a step back as out of order', () => {
    expect(accountStream(5, [1, 3, 2, 3, 5])).toEqual({ sent: 5, delivered: 4, lost: 1, duplicated: 1, outOfOrder: 1 });
    expect(accountStream(2, [])).toEqual({ sent: 2, delivered: 0, lost: 2, duplicated: 0, outOfOrder: 0 });
  });

  it('does not count a number never sent as delivered', () => {
    expect(accountStream(2, [1, 2, 3]).delivered).toBe(2);
  });

  it('sums accounts, and calls a ledger exactly once only when both ways are clean and no reply or error is bad', () => {
    const clean = accountStream(2, [1, 2]);
    const sum = sumAccounts([clean, accountStream(1, [1, 1])]);
    expect(sum).toEqual({ sent: 3, delivered: 3, lost: 0, duplicated: 1, outOfOrder: 1 });
    const ledger: ProofLedger = {
      down: clean,
      up: clean,
      replies: clean,
      badReplies: 0,
      badReplySamples: [],
      resumes: { recovered: 1, notRecovered: 0 },
      errors: [],
    };
    expect(exactlyOnce(ledger)).toBe(true);
    expect(exactlyOnce({ ...ledger, down: sum })).toBe(false);
    expect(exactlyOnce({ ...ledger, up: accountStream(2, [1]) })).toBe(false);
    expect(exactlyOnce({ ...ledger, badReplies: 1 })).toBe(false);
    expect(exactlyOnce({ ...ledger, errors: ['RequestTimeoutError'] })).toBe(false);
  });
});
