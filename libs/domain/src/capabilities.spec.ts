import { nextConsentStatusCheckAt } from './capabilities.js';

describe('nextConsentStatusCheckAt', () => {
  const now = new Date('2026-12-05T10:00:00Z');

  it('is one interval on, spread over ±10 %', () => {
    expect(nextConsentStatusCheckAt({ consentStatusCheckSeconds: 900 }, now, () => 0)).toEqual(
      new Date(now.getTime() + 810_000),
    );
    expect(nextConsentStatusCheckAt({ consentStatusCheckSeconds: 900 }, now, () => 0.5)).toEqual(
      new Date(now.getTime() + 900_000),
    );
    expect(nextConsentStatusCheckAt({ consentStatusCheckSeconds: 900 }, now, () => 1)).toEqual(
      new Date(now.getTime() + 990_000),
    );
  });

  it('is null for a provider that is not polled (null, or a stored profile from before the field)', () => {
    expect(nextConsentStatusCheckAt({ consentStatusCheckSeconds: null }, now)).toBeNull();
    expect(nextConsentStatusCheckAt({}, now)).toBeNull();
  });
});
