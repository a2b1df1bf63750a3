import { runProgram, stackConfig } from "./helpers";

describe("k8s stack as configured in Pulumi.k8s.yaml", () => {
    it("registers", async () => {
        const run = await runProgram(stackConfig("k8s"));
        console.log(run.resources.map((r) => `${r.type} ${r.name}`).join("\n"));
        console.log(JSON.stringify(run.outputs));
    });
});
