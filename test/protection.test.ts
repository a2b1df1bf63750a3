import { mockState, testValues } from "../scripts/planMocks";
import { SENTINEL, stackConfig } from "./helpers";

/** Builds a stack's component directly under the mocks, so the test can look at the resources' options. */
async function build(stack: "k8s" | "heroku", extra: Record<string, string> = {}) {
    let result: any;
    await jest.isolateModulesAsync(async () => {
        const pulumi = await import("@pulumi/pulumi");
        await pulumi.runtime.setMocks(
            {
                newResource: (a) => ({
                    id: `${a.name}-id`,
                    state: mockState(a.type, a.name, a.inputs, testValues(SENTINEL)),
                }),
                call: () => ({}),
            },
            "actors",
            stack,
            false,
        );
        pulumi.runtime.setAllConfig({ ...stackConfig(stack), ...extra }, []);
        process.env.HEROKU_API_KEY = "protection-test";
        const { loadSettings } = await import("../components/config");
        const { AppImage, appImageArgs } = await import("../components/appImage");
        const settings = loadSettings();
        const image = new AppImage("app", appImageArgs(settings, "app"));
        if (stack === "k8s") {
            const { K8sStack } = await import("../components/k8s/k8sStack");
            result = new K8sStack("k8s", { settings, image });
        } else {
            const { HerokuStack } = await import("../components/heroku/herokuStack");
            result = new HerokuStack("heroku", { settings, image });
        }
        await (pulumi.runtime as any).waitForRPCs?.();
        delete process.env.HEROKU_API_KEY;
    });
    return result;
}

describe("the database is protected from deletion and replacement by default", () => {
    it("on Kubernetes: the CloudNativePG cluster release", async () => {
        expect((await build("k8s")).database.clusterRelease.__protect).toBe(true);
        expect((await build("k8s", { "actors:protectDatabase": "false" })).database.clusterRelease.__protect).toBe(
            false,
        );
    });

    it("on Heroku: the app (its deletion takes the database) and the Postgres add-on", async () => {
        const stack = await build("heroku");
        expect([stack.app.__protect, stack.database.__protect]).toEqual([true, true]);
        const open = await build("heroku", { "actors:protectDatabase": "false" });
        expect([open.app.__protect, open.database.__protect]).toEqual([false, false]);
    });
});
