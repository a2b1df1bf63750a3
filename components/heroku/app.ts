import { App, ignoreNotFound } from "./api";
import {
    changedKeys,
    CheckResult,
    Created,
    DiffResult,
    herokuResource,
    HerokuResourceProvider,
    Read,
    Updated,
} from "./herokuResource";

export interface HerokuAppInputs {
    name: string;
    region: string;
    team: string;
}

export interface HerokuAppOutputs extends HerokuAppInputs {
    appId: string;
    webUrl: string;
    /** True when the app existed before and was adopted: destroying the stack then leaves it in place. */
    adopted: boolean;
}

/** A Heroku app on the container stack; an existing app of the same name (that the key can see) is adopted. */
export class HerokuAppProvider extends HerokuResourceProvider<HerokuAppInputs, HerokuAppOutputs> {
    /**
     * An existing app never moves region or owner through this program: that would mean a new app and a new database.
     * The engine passes Check the OLD INPUTS (empty when the app is new), so "exists" is "has old inputs".
     */
    async check(olds: Partial<HerokuAppInputs>, news: HerokuAppInputs): Promise<CheckResult<HerokuAppInputs>> {
        const failures: { property: string; reason: string }[] = [];
        if (olds.region !== undefined && olds.region !== news.region) {
            failures.push({
                property: "region",
                reason:
                    `actors:herokuRegion: Heroku cannot move app ${olds.name} from ${olds.region} to ${news.region}; ` +
                    `set it back to ${olds.region}. A new region means a new app and database: create a new stack ` +
                    "there, copy the data (heroku pg:copy), then destroy this one.",
            });
        }
        if (olds.team !== undefined && olds.team !== news.team && !(await this.ownedBy(olds.name, news.team))) {
            failures.push({
                property: "team",
                reason:
                    `actors:herokuTeam: app ${olds.name} belongs to ${olds.team ? `team ${olds.team}` : "your account"}; ` +
                    `move it with \`heroku apps:transfer\` first, then set actors:herokuTeam to match ` +
                    `(${news.team ? news.team : "empty for a personal app"}).`,
            });
        }
        return { inputs: news, failures };
    }

    async create(inputs: HerokuAppInputs): Promise<Created<HerokuAppOutputs>> {
        const api = this.api();
        const existing = await api.find<App>(`/apps/${inputs.name}`);
        if (existing) {
            if (existing.build_stack?.name !== "container" && existing.stack.name !== "container") {
                await api.request("PATCH", `/apps/${existing.id}`, { body: { build_stack: "container" } });
            }
            return { id: existing.id, outs: outputs(inputs, existing, true) };
        }
        const body = { name: inputs.name, region: inputs.region, stack: "container" };
        let app: App;
        try {
            app = inputs.team
                ? await api.request<App>("POST", "/teams/apps", { body: { ...body, team: inputs.team } })
                : await api.request<App>("POST", "/apps", { body });
        } catch (err) {
            // A failure after Heroku created the app (5xx, timeout) must not create a second one: look again.
            const created = await api.find<App>(`/apps/${inputs.name}`);
            if (!created) throw err;
            app = created;
        }
        return { id: app.id, outs: outputs(inputs, app, false) };
    }

    async read(id: string, props: HerokuAppOutputs): Promise<Read<HerokuAppOutputs>> {
        const app = await this.api().find<App>(`/apps/${id}`);
        if (!app) return { id: "", props };
        // Read with no state of ours (`import`): the app existed before the stack, so destroying leaves it in place.
        const inputs = { name: app.name, region: app.region.name, team: props.team ?? app.team?.name ?? "" };
        return { id: app.id, props: outputs({ ...props, ...inputs }, app, props.adopted ?? true), inputs };
    }

    /** Only a rename changes the app; region and team never replace it (check refuses a new region or team). */
    async diff(id: string, olds: HerokuAppOutputs, news: HerokuAppInputs): Promise<DiffResult> {
        return { changes: changedKeys(olds, news, ["name", "team"]).length > 0, replaces: [] };
    }

    async update(id: string, olds: HerokuAppOutputs, news: HerokuAppInputs): Promise<Updated<HerokuAppOutputs>> {
        const app = await this.api().request<App>("PATCH", `/apps/${id}`, { body: { name: news.name } });
        return { outs: outputs(news, app, olds.adopted) };
    }

    async delete(id: string, props: HerokuAppOutputs): Promise<void> {
        if (props.adopted) return;
        await this.api().request("DELETE", `/apps/${id}`).catch(ignoreNotFound);
    }

    /** Whether Heroku already has the app under `team` (empty: a personal app), as after `heroku apps:transfer`. */
    private async ownedBy(name: string | undefined, team: string): Promise<boolean> {
        const app = name ? await this.api().find<App>(`/apps/${name}`) : undefined;
        return app !== undefined && (app.team?.name ?? "") === team;
    }
}

function outputs(inputs: HerokuAppInputs, app: App, adopted: boolean): HerokuAppOutputs {
    return {
        ...inputs,
        name: app.name,
        appId: app.id,
        webUrl: app.web_url ?? `https://${app.name}.herokuapp.com/`,
        adopted,
    };
}

export class HerokuApp extends herokuResource<HerokuAppInputs, HerokuAppOutputs>("App", {
    legacyType: "HerokuApp",
    outputs: ["appId", "webUrl", "adopted"],
}) {}
