import { obieAuthorisationFlow } from '../obie/obie.profile.js';
import { BANK_PROFILES } from './profiles.js';

describe('bank profiles', () => {
  it.each(Object.values(BANK_PROFILES).map((p) => [p.id, p] as const))(
    '%s advertises the authorisation flow its connector runs',
    (_id, profile) => {
      const runs =
        profile.standard === 'obie_3_1'
          ? obieAuthorisationFlow(profile.authorisation)
          : // BgAuthorisation always sends a PKCE S256 challenge (seed 002's OAuth SCA approach).
            'oauth_code_pkce';
      expect(profile.capabilities.authorisationFlow).toBe(runs);
    },
  );

  it.each(Object.values(BANK_PROFILES).map((p) => [p.id, p] as const))(
    '%s reads in bulk only resources it serves',
    (_id, profile) => {
      for (const kind of profile.capabilities.bulkEndpoints)
        expect(profile.capabilities.supportedPermissions).toContain(kind);
    },
  );
});
