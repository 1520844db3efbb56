import { OBIE_DEFAULT_CAPABILITIES, OBIE_DEFAULTS, standardObieEndpoints, type ObieProfile } from '../obie.profile.js';

/**
 * A UK bank speaking OBIE 3.1 by the book, onboarded out of band (credentials configured):
 * the profile of the Fena seed's UK banks until one needs its own file.
 */
export const ukGeneric = {
  ...OBIE_DEFAULTS,
  id: 'uk-generic',
  name: 'UK OBIE bank',
  capabilities: OBIE_DEFAULT_CAPABILITIES,
  defaultEndpoints: (base) => standardObieEndpoints(base.sandboxUrl),
  onboarding: 'configured',
  authorisation: { ...OBIE_DEFAULTS.authorisation, responseMode: 'query' },
} satisfies ObieProfile;
