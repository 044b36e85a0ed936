// Jest runs our TypeScript as native ESM (NestJS 12 is ESM-only): node --experimental-vm-modules + ts-jest useESM.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
];
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^@lfs-depot/(config|contracts|storage|auth|observability|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^@lfs-depot/storage/s3$': '<rootDir>/libs/storage/src/s3.storage.ts',
    '^@lfs-depot/storage/s3-direct$': '<rootDir>/libs/storage/src/s3-direct-transfers.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  rootDir: '.',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/libs/.*/dist/'],
};

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      slowTestThreshold: 30,
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // Real processes killed, restarted and flooded; `npm run test:reliability` (README, Development).
    {
      ...shared,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'],
      slowTestThreshold: 120,
    },
  ],
  testTimeout: 120000,
};
