/**
 * The scratch PostgreSQL server (cli/moveData/scratchServer.ts, the only recipe) for programs that are not
 * TypeScript: tools/pgserver.py drives it for the app's Python tests and benchmarks.
 *
 *   node -r ts-node/register/transpile-only tools/scratchServer.ts [--host ADDR] [--port N] [--netns NAME]
 *        [--set name=value ...]
 *
 * It makes the server (initdb, not started yet) and prints one JSON line, its state:
 *   {"dir", "data", "host", "port", "bindir", "running", "failovers"}
 * Then it reads commands from stdin, one a line, and answers each with one JSON line: the state (with "accepting" for
 * `accepting`; with "error" when the command failed):
 *   start [nowait] | stop | failover [nowait] | accepting
 * `stop` is a clean (fast) shutdown. At the end of stdin, or on SIGINT/SIGTERM, it stops the server, removes its
 * directory and exits: the server never outlives its client.
 */
import * as readline from "readline";
import { parseArgs } from "util";
import { anyTools } from "../cli/moveData/pg";
import { ScratchServer } from "../cli/moveData/scratchServer";

const USAGE = "usage: tools/scratchServer.ts [--host ADDR] [--port N] [--netns NAME] [--set name=value ...]";

function options() {
    const { values } = parseArgs({
        options: {
            host: { type: "string" },
            port: { type: "string" },
            netns: { type: "string" },
            set: { type: "string", multiple: true },
        },
    });
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
        throw new Error(`--port ${values.port}: a TCP port from 1 to 65535 is allowed`);
    const settings: Record<string, string> = {};
    for (const pair of values.set ?? []) {
        const m = /^([a-z_][a-z0-9_.]*)=(.*)$/.exec(pair);
        if (!m) throw new Error(`--set ${pair}: name=value is allowed (a PostgreSQL setting)`);
        settings[m[1]] = m[2];
    }
    return { host: values.host, port, netns: values.netns, settings };
}

async function main() {
    let parsed;
    try {
        parsed = options();
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        process.exit(2);
    }
    const tools = anyTools();
    const server = new ScratchServer(tools, parsed);
    let ending: Promise<void> | undefined;
    const end = () => (ending ??= server.destroy().finally(() => process.exit(0)));
    process.on("SIGINT", end);
    process.on("SIGTERM", end);
    const state = () => ({
        dir: server.dir,
        data: server.data,
        host: server.host,
        port: server.port,
        bindir: tools.bindir,
        running: server.running,
        failovers: server.failovers,
    });
    const say = (answer: object) => process.stdout.write(`${JSON.stringify(answer)}\n`);
    try {
        await server.init();
    } catch (err) {
        say({ error: (err as Error).message });
        return end();
    }
    say(state());
    const commands: Record<string, (arg?: string) => Promise<object>> = {
        start: async (arg) => (await server.start({ wait: arg !== "nowait" }), {}),
        stop: async () => (await server.stop("fast"), {}),
        failover: async (arg) => (await server.failover({ wait: arg !== "nowait" }), {}),
        accepting: async () => ({ accepting: await server.accepting() }),
    };
    // One command at a time, in order: the client waits for each answer.
    for await (const line of readline.createInterface({ input: process.stdin })) {
        const [name, arg] = line.trim().split(/\s+/);
        const command = commands[name];
        if (!command) {
            say({
                error: `unknown command ${JSON.stringify(line)}: start [nowait], stop, failover [nowait] or accepting`,
            });
            continue;
        }
        try {
            const result = await command(arg);
            say({ ...state(), ...result });
        } catch (err) {
            say({ error: (err as Error).message, ...state() });
        }
    }
    await end();
}

main();
