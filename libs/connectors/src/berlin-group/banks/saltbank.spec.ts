import { mapBgTransactions } from '../bg.mapper.js';
import { saltbank } from './saltbank.js';

const rules = {
  timeZone: saltbank.capabilities.timeZone,
  merchantCategoryCode: saltbank.merchantCategoryCode,
  pendingLink: saltbank.pendingLink,
};

describe('Salt Bank profile', () => {
  it('reads MCC from additionalInformation, links pending and booked by entryReference, dates pending items by valueDate', () => {
    const booked = {
      transactionId: 'b1',
      entryReference: 'CRD1',
      bookingDate: '2024-03-02',
      valueDate: '2024-03-01',
      transactionAmount: { currency: 'EUR', amount: '-4.5' },
      creditorName: 'Bäckerei',
      additionalInformation: 'MCC 5462',
      remittanceInformationUnstructured: 'Bäckerei 2024-03-01',
    };
    const pending = {
      transactionId: 'p1',
      entryReference: 'CRD2',
      valueDate: '2024-03-03',
      transactionAmount: { currency: 'EUR', amount: '-9.99' },
      creditorName: 'Kino',
    };
    const [b, p] = mapBgTransactions([{ booked: [booked], pending: [pending] }], rules, '2024-03-04');
    expect(b).toMatchObject({
      identityKey: 'b:b1',
      status: 'booked',
      bookingDate: '2024-03-02',
      amount: { amount: '-4.50', currency: 'EUR' },
      merchant: { name: 'Bäckerei', categoryCode: '5462' },
      pendingLink: 'CRD1',
    });
    expect(p).toMatchObject({ status: 'pending', bookingDate: '2024-03-03', pendingLink: 'CRD2' });
  });

  it('counts unattended calls per calendar day in Berlin and caps consents at 180 days', () => {
    expect(saltbank.capabilities.accessWindow).toEqual({ kind: 'calendarDay', timeZone: 'Europe/Berlin' });
    expect(saltbank.capabilities).toMatchObject({
      maxConsentDays: 180,
      maxFrequencyPerDay: 4,
      transactionHistoryLimitDays: 90,
      firstAccessWindowMinutes: 10,
    });
  });
});
