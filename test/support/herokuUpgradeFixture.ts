/**
 * The fixture of test/lifecycle/herokuUpgrade.test.ts: a heroku stack made by the code before the provider plugin
 * (commit 957c0e6: dynamic resources whose `__provider` requires node_modules/actors-heroku-provider), saved as the
 * CLI exports it (secrets encrypted with PASSPHRASE, none in plain text) with the emulated Heroku it was deployed to.
 *
 * Made once, by hand, from a checkout of that commit whose provider package is built:
 *   git worktree add --detach /tmp/oldcode 957c0e6 && cd /tmp/oldcode
 *   mkdir node_modules && ln -s <this checkout>/node_modules/* node_modules/ && npm run build:heroku-provider
 *   cd <this checkout> && node -r ts-node/register/transpile-only test/support/herokuUpgradeFixture.ts /tmp/oldcode
 * with stand-in docker and pulumi-nodejs plugins on PATH (the old code needs both).
 */
import * as fs from "fs";
import * as path from "path";
import { startDockerStandIn } from "./engine/fixture";
import { EmulatorWorld, HerokuEmulator } from "./herokuEmulator";
import { cliStack, pulumi } from "./pulumiCli";

export const FIXTURE_FILE = path.join(__dirname, "..", "lifecycle", "fixtures", "heroku-stack-957c0e6.json");
export const PASSPHRASE = "upgrade-fixture-passphrase";
/** The secrets the old stack was made with (test values, not credentials), encrypted in the fixture. */
export const FIXTURE_SECRETS = {
    "actors:herokuApiKey": "emulator-key-upgrade-fixture",
    "actors:herokuLogDrainUrl": "syslog+tls://logs.example.com:6514",
};
/** The old stack's settings: every kind of Heroku resource (an app name is set, so no random plugin is needed). */
export const FIXTURE_CONFIG = {
    "actors:platform": "heroku",
    "actors:herokuAppName": "actors-upgrade1",
    "actors:herokuDomain": "actors.example.com",
    "actors:herokuPreboot": "true",
};

export interface UpgradeFixture {
    /** Commit of the code that made it. */
    madeBy: string;
    /** `pulumi stack export` of the stack after its first `up`. */
    deployment: { version: number; deployment: { resources: any[] } };
    /** What the emulated Heroku held then; the log drain's URL (a secret) redacted. */
    world: EmulatorWorld;
}

export function loadUpgradeFixture(): UpgradeFixture {
    return JSON.parse(fs.readFileSync(FIXTURE_FILE, "utf8"));
}

async function makeFixture(oldCheckout: string): Promise<void> {
    const emulator = await new HerokuEmulator({ apiKey: FIXTURE_SECRETS["actors:herokuApiKey"] }).start();
    emulator.provisioningPolls = 1;
    const docker = await startDockerStandIn({
        expectedAuth: () => Buffer.from(`_:${emulator.apiKey}`).toString("base64"),
        onPush: (push, digest) => {
            const [, app, type] = push.target.split("/");
            emulator.pushed(app, type, digest);
        },
    });
    try {
        const stack = cliStack(oldCheckout, "heroku", {
            passphrase: PASSPHRASE,
            config: FIXTURE_CONFIG,
            secrets: FIXTURE_SECRETS,
            env: { HEROKU_API_URL: emulator.url, HEROKU_REGISTRY_URL: emulator.url, HEROKU_API_KEY: "", ...docker.env },
        });
        const up = await pulumi(stack, "up");
        if (!up.ok) throw new Error(`up failed: ${up.error}\n${up.stdout}`);
        const exported = await pulumi(stack, "export");
        const world = emulator.world();
        world.drains = world.drains.map(([app, drains]) => [app, drains.map((d) => ({ ...d, url: "[redacted]" }))]);
        const fixture: UpgradeFixture = { madeBy: "957c0e6", deployment: exported.deployment as any, world };
        const text = JSON.stringify(fixture, null, 2) + "\n";
        for (const secret of Object.values(FIXTURE_SECRETS))
            if (text.includes(secret)) {
                throw new Error("a secret is in plain text in the fixture");
            }
        fs.mkdirSync(path.dirname(FIXTURE_FILE), { recursive: true });
        fs.writeFileSync(FIXTURE_FILE, text);
        console.log(`wrote ${FIXTURE_FILE} (up: ${up.seconds} s, ${up.steps.length} steps)`);
    } finally {
        await docker.stop();
        await emulator.stop();
    }
}

if (require.main === module) makeFixture(path.resolve(process.argv[2] ?? "/tmp/oldcode"));
