/**
 * The world a heroku stack is deployed into by the lifecycle tests: the engine, the Platform API emulator (which
 * also serves the registry's manifests), the stand-in docker CLI that pushes into it, and a checkout of the project.
 */
import { testValues } from "../planMocks";
import { SENTINEL } from "../helpers";
import { HerokuEmulator } from "../herokuEmulator";
import { binaryProviders } from "./binaryProviders";
import { Engine, ProgramSpec, StackState } from "./engine";
import { copyProject, Push, removeProject, stackSpec, startDockerStandIn } from "./fixture";

export interface HerokuWorld {
    engine: Engine;
    emulator: HerokuEmulator;
    pushes: Push[];
    dir: string;
    binary: ReturnType<typeof binaryProviders>;
    /** The heroku stack of a checkout (this one by default), with the emulator's key as the secret herokuApiKey. */
    spec(config?: Record<string, string>, secretKeys?: string[], at?: string): ProgramSpec;
    up(state: StackState, spec?: ProgramSpec): ReturnType<Engine["up"]>;
    preview(state: StackState, spec?: ProgramSpec): ReturnType<Engine["up"]>;
    stop(): Promise<void>;
}

export async function startHerokuWorld(): Promise<HerokuWorld> {
    const engine = await Engine.start();
    const emulator = await new HerokuEmulator().start();
    emulator.provisioningPolls = 1;
    const docker = await startDockerStandIn({
        expectedAuth: () => Buffer.from(`_:${emulator.apiKey}`).toString("base64"),
        onPush: (push, digest) => {
            const [, app, type] = push.target.split("/");
            emulator.pushed(app, type, digest);
        },
    });
    const dir = copyProject();
    const binary = binaryProviders(testValues(SENTINEL));
    const spec = (config: Record<string, string> = {}, secretKeys: string[] = [], at = dir): ProgramSpec =>
        stackSpec(at, "heroku", {
            config: { "actors:herokuApiKey": emulator.apiKey, ...config },
            secretKeys: ["actors:herokuApiKey", ...secretKeys],
            env: { HEROKU_API_URL: emulator.url, HEROKU_REGISTRY_URL: emulator.url, HEROKU_API_KEY: "", ...docker.env },
        });
    return {
        engine,
        emulator,
        pushes: docker.pushes,
        dir,
        binary,
        spec,
        up: (state, s = spec()) => engine.up(state, s, { binary }),
        preview: (state, s = spec()) => engine.up(state, s, { binary, preview: true }),
        stop: async () => {
            await engine.stop();
            await emulator.stop();
            await docker.stop();
            removeProject(dir);
        },
    };
}
