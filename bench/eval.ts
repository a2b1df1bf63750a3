/**
 * One evaluation of a Pulumi program under the runtime mocks, in a fresh process: prints
 * {"program", "wallMs", "maxRssMb", "resources"} as JSON. Run by bench/run.py:
 *   node -r ts-node/register/transpile-only bench/eval.ts k8s|heroku|empty
 */
import { mockState, testValues } from "../scripts/planMocks";
import { readStackConfig } from "../scripts/stackFile";

async function main() {
    const which = process.argv[2];
    // The harness's own work (reading the stack file) is done before the clock starts, for every program alike.
    const config = which === "empty" ? {} : readStackConfig(which).config;
    const started = process.hrtime.bigint();
    const pulumi = await import("@pulumi/pulumi");
    let resources = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources++;
                return {
                    id: `${args.name}-id`,
                    state: mockState(args.type, args.name, args.inputs, testValues("bench")),
                };
            },
            call: () => ({}),
        },
        "actors",
        which,
        false,
    );
    if (which === "empty") {
        await import("./emptyProgram");
    } else {
        pulumi.runtime.setAllConfig(config, []);
        process.env.HEROKU_API_KEY ||= "bench";
        await import("../index");
    }
    await (pulumi.runtime as any).waitForRPCs?.();
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
        JSON.stringify({
            program: which,
            wallMs: Math.round(wallMs),
            maxRssMb: Math.round(maxRssMb * 10) / 10,
            resources,
        }) + "\n",
    );
}

main().catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + "\n");
    process.exit(1);
});
