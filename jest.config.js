/** jest for the Pulumi program (test/); the app's own tests are pytest (npm run test:app). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test", "<rootDir>/policy"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", {}] },
    testTimeout: 120000,
    testSequencer: "<rootDir>/test/support/longestFirst.js",
};
