import { mapObieTransactions } from '../obie.mapper.js';
import { allstar } from './allstar.js';

describe('Allstar profile', () => {
  it('links a card payment pending and booked through TransactionReference and keeps London dates', () => {
    const rules = {
      timeZone: allstar.capabilities.timeZone,
      balanceTypes: allstar.balanceTypes,
      pendingLink: allstar.pendingLink,
    };
    const base = {
      AccountId: 'a1',
      CreditDebitIndicator: 'Debit' as const,
      Amount: { Amount: '12.30', Currency: 'GBP' },
      TransactionReference: 'CRDABC',
    };
    const list = mapObieTransactions(
      [
        { ...base, TransactionId: 'bk1', Status: 'Booked', BookingDateTime: '2024-07-01T23:30:00+00:00' },
        { ...base, TransactionId: 'pd1', Status: 'Pending', BookingDateTime: '2024-06-30T10:00:00+00:00' },
      ],
      rules,
    ).get('a1')!;
    expect(list.map((t) => [t.identityKey, t.status, t.bookingDate, t.pendingLink])).toEqual([
      ['b:bk1', 'booked', '2024-07-02', 'CRDABC'],
      ['b:pd1', 'pending', '2024-06-30', 'CRDABC'],
    ]);
  });

  it('onboards by DCR to its directory organisation id and defaults to 90-day consents', () => {
    expect(allstar).toMatchObject({
      onboarding: 'dcr',
      dcr: { audience: '0015800000jf9HeAAI' },
      capabilities: { maxConsentDays: 90 },
    });
  });
});
