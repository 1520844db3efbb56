import { CATEGORIES, categorize } from './category.js';

describe('transaction categories', () => {
  it.each([
    ['5411', 'groceries'],
    ['5814', 'eating_out'],
    ['5812', 'eating_out'],
    ['4111', 'transport'],
    ['5541', 'fuel'],
    ['5912', 'health'],
    ['5942', 'shopping'],
    ['6011', 'cash'],
    ['3010', 'travel'],
    ['7011', 'travel'],
    ['4900', 'utilities'],
    ['7832', 'entertainment'],
  ])('reads merchant category code %s as %s', (mcc, category) => {
    expect(categorize({ merchantCategoryCode: mcc, amount: '-10.00' })).toBe(category);
  });

  it('reads OBIE’s ISO 20022 codes (text form), sub-code first', () => {
    const obie = (code: string, subCode: string, amount = '-5.00') =>
      categorize({ bankTransactionCode: { code, subCode }, amount });
    expect(obie('AccountManagement', 'Interest', '1.20')).toBe('interest');
    expect(obie('IssuedDirectDebits', 'DirectDebitPayment')).toBe('bills');
    expect(obie('IssuedCardTransactions', 'Reimbursement', '12.00')).toBe('refund');
    expect(obie('IssuedCreditTransfers', 'StandingOrder')).toBe('transfer');
    expect(obie('ReceivedCreditTransfers', 'DomesticCreditTransfer', '2500.00')).toBe('income');
    expect(obie('IssuedCardTransactions', 'PointOfSaleDebit')).toBe('shopping');
  });

  it('reads Berlin Group’s DOMAIN-FAMILY-SUBFAMILY codes', () => {
    const bg = (code: string, amount = '-5.00') => categorize({ bankTransactionCode: { code }, amount });
    expect(bg('PMNT-RCDT-SALA', '3100.00')).toBe('salary');
    expect(bg('PMNT-CCRD-CWDL')).toBe('cash');
    expect(bg('PMNT-ICDT-STDO')).toBe('transfer');
    expect(bg('PMNT-RCDT-ESCT', '40.00')).toBe('income');
    expect(bg('ACMT-MDOP-CHRG')).toBe('fees');
    expect(bg('PMNT-IDDT-ESDD')).toBe('bills');
  });

  it('prefers the bank’s own code, then the merchant code, then the ISO code', () => {
    expect(
      categorize({
        merchantCategoryCode: '5411',
        bankTransactionCode: { code: 'ReceivedCreditTransfers', proprietaryCode: 'SALARY' },
        amount: '2000.00',
      }),
    ).toBe('salary');
    expect(
      categorize({ merchantCategoryCode: '5814', bankTransactionCode: { code: 'PMNT-CCRD-POSD' }, amount: '-3.00' }),
    ).toBe('eating_out');
    expect(categorize({ bankTransactionCode: { proprietaryCode: 'RENT' }, amount: '-900.00' })).toBe('housing');
    // A generic card word only when nothing more precise is known.
    expect(categorize({ bankTransactionCode: { proprietaryCode: 'PURCHASE' }, amount: '-9.00' })).toBe('shopping');
    expect(
      categorize({ merchantCategoryCode: '5411', bankTransactionCode: { proprietaryCode: 'CARD' }, amount: '-9.00' }),
    ).toBe('groceries');
  });

  it('is null when nothing is known, and always one of the documented categories otherwise', () => {
    expect(categorize({})).toBeNull();
    expect(categorize({ merchantCategoryCode: 'abcd', bankTransactionCode: { code: 'Unknown' } })).toBeNull();
    for (let mcc = 0; mcc < 10_000; mcc += 7) {
      const c = categorize({ merchantCategoryCode: String(mcc).padStart(4, '0') });
      if (c !== null) expect(CATEGORIES).toContain(c);
    }
  });
});
