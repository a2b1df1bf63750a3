import * as pulumi from "@pulumi/pulumi";
import { App, HerokuApiError } from "./api";
import { Created, HerokuProvider, Read, Updated } from "./provider";

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
export class HerokuAppProvider extends HerokuProvider {
    /** An existing app cannot change region or owner through this program: that would mean a new app and database. */
    async check(
        olds: Partial<HerokuAppOutputs>,
        news: HerokuAppInputs,
    ): Promise<{ inputs: HerokuAppInputs; failures: { property: string; reason: string }[] }> {
        const failures: { property: string; reason: string }[] = [];
        if (olds.appId && olds.region !== undefined && olds.region !== news.region) {
            failures.push({
                property: "region",
                reason:
                    `Heroku cannot move app ${olds.name} from ${olds.region} to ${news.region}: the app and its database would be replaced. ` +
                    "Create a new stack in the new region, copy the data (heroku pg:copy), then destroy this one.",
            });
        }
        if (olds.appId && olds.team !== undefined && olds.team !== news.team) {
            failures.push({
                property: "team",
                reason: `move app ${olds.name} with \`heroku apps:transfer\` first, then set actors:herokuTeam to match`,
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
        return {
            id: app.id,
            props: outputs({ ...props, name: app.name, region: app.region.name }, app, props.adopted),
        };
    }

    async diff(id: string, olds: HerokuAppOutputs, news: HerokuAppInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = (["region", "team"] as const).filter((k) => olds[k] !== news[k]);
        const changes = replaces.length > 0 || olds.name !== news.name;
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    }

    async update(id: string, olds: HerokuAppOutputs, news: HerokuAppInputs): Promise<Updated<HerokuAppOutputs>> {
        const app = await this.api().request<App>("PATCH", `/apps/${id}`, { body: { name: news.name } });
        return { outs: outputs(news, app, olds.adopted) };
    }

    async delete(id: string, props: HerokuAppOutputs): Promise<void> {
        if (props.adopted) return;
        try {
            await this.api().request("DELETE", `/apps/${id}`);
        } catch (err) {
            if (!(err instanceof HerokuApiError && err.status === 404)) throw err;
        }
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
