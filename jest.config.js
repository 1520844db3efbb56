// Jest runs in native ESM mode (NestJS 12 ships ESM only; on Node 20 Jest cannot require() ESM),
// so scripts/jest.mjs starts it with --experimental-vm-modules. @swc/jest compiles TypeScript with
// legacy decorators and emitted metadata, which Nest's dependency injection needs.
const swcTs = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
};
// ESM-only packages that some CommonJS dependency require()s: compiled to CJS for Jest's sandbox.
const esmRequiredFromCjs = ['cookie', 'content-disposition'];
const esmJs = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' } };

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTs],
    [`node_modules/(${esmRequiredFromCjs.join('|')})/.+\\.js$`]: ['@swc/jest', esmJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmRequiredFromCjs.join('|')})/)`],
  moduleNameMapper: {
    '^@ais/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  rootDir: import.meta.dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/scripts'],
};

export default {
  projects: [
    // k8s/manifests.spec.ts renders and checks the Kubernetes manifests.
    { ...shared, displayName: 'unit', roots: [...shared.roots, '<rootDir>/k8s'], testMatch: ['**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.integration-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest/integration-timeout.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest/e2e-timeout.ts'],
    },
  ],
};
