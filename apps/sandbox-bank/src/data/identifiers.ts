/** IBAN check digits (ISO 13616 mod 97) for a country and BBAN. */
export function iban(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`
    .toUpperCase()
    .split('')
    .map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c))
    .join('');
  const check = 98n - (BigInt(rearranged) % 97n);
  return `${country}${check.toString().padStart(2, '0')}${bban}`;
}

export function isValidIban(value: string): boolean {
  const v = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{1,30}$/.test(v)) return false;
  const rearranged = `${v.slice(4)}${v.slice(0, 4)}`
    .split('')
    .map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c))
    .join('');
  return BigInt(rearranged) % 97n === 1n;
}

/** Luhn check digit, so generated card numbers look like card numbers. */
export function withLuhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

export function maskPan(pan: string): string {
  return `${pan.slice(0, 6)}xxxxxx${pan.slice(-4)}`;
}
