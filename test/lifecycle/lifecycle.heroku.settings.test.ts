/**
 * Every setting the heroku stack reads (components/config/settings.ts), changed in turn on the deployed stack, previewed and
 * then applied, as Pulumi runs the program (test/engine), against the Platform API emulator. Each change starts from
 * the same deployed state; the emulator keeps what the changes did (as Heroku would).
 */
import { StackState } from "../support/engine/engine";
import { HerokuWorld, startHerokuWorld } from "../support/engine/herokuWorld";
import { expectOk, expectSettingChange, settingsOf } from "../support/engine/lifecycle";
import { SENTINEL } from "../support/helpers";

let world: HerokuWorld;
const state = new StackState();

beforeAll(async () => {
    world = await startHerokuWorld();
    expectOk(await world.up(state));
});
afterAll(async () => {
    await world?.stop();
});
afterEach(() => expect(world.emulator.invalid).toEqual([])); // every request matched the Platform API schema

describe("every heroku setting, changed in turn", () => {
    /** A new value for each setting the heroku stack reads (keys from components/config/settings.ts). */
    const CHANGES: Record<string, { config: Record<string, string>; secretKeys?: string[] }> = {
        webConcurrency: { config: { "actors:webConcurrency": "4" } },
        logLevel: { config: { "actors:logLevel": "debug" } },
        appEnv: { config: { "actors:appEnv": '["FEATURE_FLAGS=search"]' } },
        protectDatabase: { config: { "actors:protectDatabase": "false" } },
        herokuAppName: { config: { "actors:herokuAppName": "actors-renamed" } },
        herokuRegion: { config: { "actors:herokuRegion": "eu" } },
        herokuTeam: { config: { "actors:herokuTeam": "acme" } },
        herokuApiKey: { config: {} }, // the emulator accepts one key; a new key is the same account
        herokuPostgresPlan: { config: { "actors:herokuPostgresPlan": "essential-1" } },
        // eco and basic dynos run one web dyno at most, and without preboot (the program refuses both).
        herokuWebQuantity: { config: { "actors:herokuWebQuantity": "2", "actors:herokuWebSize": "standard-1x" } },
        herokuWebSize: { config: { "actors:herokuWebSize": "standard-1x" } },
        herokuDomain: { config: { "actors:herokuDomain": "actors.example.com" } },
        herokuLogDrainUrl: {
            config: { "actors:herokuLogDrainUrl": `syslog+tls://${SENTINEL}-token@logs.example.com:6514` },
            secretKeys: ["actors:herokuLogDrainUrl"],
        },
        herokuPreboot: { config: { "actors:herokuPreboot": "true", "actors:herokuWebSize": "standard-1x" } },
    };

    it("has a change for every setting the heroku stack reads", () => {
        expect(Object.keys(CHANGES).sort()).toEqual(settingsOf("heroku").sort());
    });

    it.each(settingsOf("heroku"))(
        "%s: applied in place, or replacing only what the preview said, or refused naming the setting",
        async (key) => {
            const change = CHANGES[key];
            const appsBefore = JSON.stringify([...world.emulator.apps.keys(), ...world.emulator.addons.keys()]);
            const p = world.spec(change.config, change.secretKeys ?? []);
            await expectSettingChange(world.engine, state, key, p, {
                binary: world.binary,
                secrets: [world.emulator.apiKey, SENTINEL],
            });
            // The app and its database are still there, the same ones.
            if (key !== "protectDatabase")
                expect(JSON.stringify([...world.emulator.apps.keys(), ...world.emulator.addons.keys()])).toBe(
                    appsBefore,
                );
        },
    );
});
