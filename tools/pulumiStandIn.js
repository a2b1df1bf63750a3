#!/usr/bin/env node
/**
 * A stand-in for the `pulumi` CLI for test/commands/moveData.test.ts and bench/moveData.ts: the two calls
 * `npm run move-data` makes, answered from a JSON state file (PULUMI_STAND_IN_STATE) that stands for deployed stacks:
 *   { "stacks": { "<stack>": { "tools": <the stack's tools output>, "config": { "actors:<key>": "..." } } },
 *     "failWith"?: "<stderr>" }
 * - stack output tools --json --stack S   the stack's `tools` output, as JSON
 * - config get actors:K --stack S         the value, or Pulumi's "not found" error
 * With failWith, every call prints it to stderr and exits 255, as a CLI that cannot reach its backend does.
 * (The real CLI needs a deployed stack, which these tests do not make: the lifecycle tests run the real one.)
 */
const fs = require("fs");

const state = JSON.parse(fs.readFileSync(process.env.PULUMI_STAND_IN_STATE, "utf8"));
const argv = process.argv.slice(2);
if (state.failWith) {
    process.stderr.write(state.failWith);
    process.exit(255);
}
const stackAt = argv.indexOf("--stack");
const name = stackAt >= 0 ? argv[stackAt + 1] : "";
const stack = state.stacks[name];
if (!stack) {
    process.stderr.write(`error: no stack named '${name}' found\n`);
    process.exit(255);
}
const cmd = argv.filter((_, i) => i !== stackAt && i !== stackAt + 1).join(" ");
if (cmd === "stack output tools --json") {
    if (!stack.tools) {
        process.stderr.write(`error: current stack does not have output property 'tools'\n`);
        process.exit(255);
    }
    process.stdout.write(JSON.stringify(stack.tools, null, 2) + "\n");
} else if (/^config get actors:\w+$/.test(cmd)) {
    const key = cmd.split(" ")[2];
    if (!(key in (stack.config ?? {}))) {
        process.stderr.write(`error: configuration key '${key}' not found for stack '${name}'\n`);
        process.exit(255);
    }
    process.stdout.write(`${stack.config[key]}\n`);
} else {
    process.stderr.write(`the stand-in does not know: pulumi ${argv.join(" ")}\n`);
    process.exit(255);
}
