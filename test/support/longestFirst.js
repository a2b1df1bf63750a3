/**
 * jest's own test order, with one addition for a machine that has not run the tests before (every CI machine: jest
 * keys its timings by file path, and each CI run is a fresh clone). jest then orders by file size, and the k8s
 * settings table, a small file that runs for about ten minutes, started last and ran alone while the other worker
 * sat idle. Files listed here start first when jest has no timings for them; once it has, its own order stands.
 */
const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

/** Known long files, longest first (from a CI run: `npm test`'s jest lines print each file's seconds). */
const LONG = ["test/lifecycle/k8s.settings.test.ts", "test/lifecycle/heroku.settings.test.ts"];

class LongestFirst extends Sequencer {
    sort(tests) {
        const sorted = super.sort(tests);
        const rank = (test) => {
            const i = LONG.indexOf(path.relative(test.context.config.rootDir, test.path).split(path.sep).join("/"));
            return test.duration == null && i >= 0 ? i : LONG.length;
        };
        // Array.prototype.sort is stable: everything else keeps jest's order.
        return [...sorted].sort((a, b) => rank(a) - rank(b));
    }
}

module.exports = LongestFirst;
