/**
 * One evaluation of a Pulumi program the way Pulumi runs it: through @pulumi/pulumi's cmd/run in a child process,
 * talking gRPC to the engine harness (test/engine), as a preview of a new stack. Prints
 * {"program", "wallMs", "maxRssMb", "resources"} as JSON: the program process's wall time from spawn to exit and its
 * peak resident memory. Run by bench/run.py:
 *   node -r ts-node/register bench/eval.ts k8s|heroku|empty
 * The engine answers every resource itself (dynamic resources included: `dynamic: "echo"`), so what is measured is
 * the program: loading, transpiling, declaring resources, serializing the dynamic provider.
 */
import * as path from "path";
import { testValues } from "../test/support/planMocks";
import { binaryProviders } from "../test/support/engine/binaryProviders";
import { Engine, ProgramSpec, StackState } from "../test/support/engine/engine";
import { stackSpec } from "../test/support/engine/fixture";

const ROOT = path.resolve(__dirname, "..");

async function main() {
    const which = process.argv[2];
    if (!["k8s", "heroku", "empty"].includes(which)) throw new Error("usage: bench/eval.ts k8s|heroku|empty");
    // The harness's own work (reading the stack file, starting the engine) is done before the program starts.
    const env = { HEROKU_API_KEY: process.env.HEROKU_API_KEY || "bench" };
    const spec: ProgramSpec =
        which === "empty"
            ? {
                  dir: ROOT,
                  project: "actors",
                  stack: "empty",
                  config: {},
                  secretKeys: [],
                  env,
                  program: "bench/emptyProgram.ts",
              }
            : stackSpec(ROOT, which as "k8s" | "heroku", { env });
    const engine = await Engine.start();
    try {
        const run = await engine.up(new StackState(), spec, {
            preview: true,
            binary: binaryProviders(testValues("bench")),
            dynamic: "echo",
        });
        if (!run.ok) throw new Error(`evaluation of ${which} failed: ${run.error}`);
        process.stdout.write(
            JSON.stringify({
                program: which,
                wallMs: Math.round(run.programMs),
                maxRssMb: Math.round(((run.programMaxRssKb ?? 0) / 1024) * 10) / 10,
                resources: run.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").length,
            }) + "\n",
        );
    } finally {
        await engine.stop();
    }
}

main().catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + "\n");
    process.exit(1);
});
