import * as pulumi from "@pulumi/pulumi";
import { Formation } from "./api";
import { Created, HerokuProvider, Read, Updated } from "./provider";

export interface FormationInputs {
    appId: string;
    /** Process type -> quantity and dyno size. */
    processes: Record<string, { quantity: number; size: string }>;
}

function updates(processes: FormationInputs["processes"]) {
    return Object.entries(processes).map(([type, p]) => ({ type, quantity: p.quantity, dyno_size: { name: p.size } }));
}

/** Quantity and dyno size per process type, applied in one batch PATCH. */
export class FormationProvider extends HerokuProvider {
    async create(inputs: FormationInputs): Promise<Created<FormationInputs>> {
        await this.api().request<Formation[]>("PATCH", `/apps/${inputs.appId}/formation`, {
            body: { updates: updates(inputs.processes) },
        });
        return { id: `${inputs.appId}/formation`, outs: inputs };
    }

    async read(id: string, props: FormationInputs): Promise<Read<FormationInputs>> {
        const formation = await this.api().list<Formation>(`/apps/${props.appId}/formation`);
        const processes = Object.fromEntries(
            formation
                .filter((f) => f.type in props.processes)
                .map((f) => [f.type, { quantity: f.quantity, size: (f.dyno_size?.name ?? f.size).toLowerCase() }]),
        );
        return { id, props: { ...props, processes } };
    }

    async diff(id: string, olds: FormationInputs, news: FormationInputs): Promise<pulumi.dynamic.DiffResult> {
        return {
            changes: JSON.stringify(olds) !== JSON.stringify(news),
            replaces: olds.appId !== news.appId ? ["appId"] : [],
        };
    }

    async update(id: string, olds: FormationInputs, news: FormationInputs): Promise<Updated<FormationInputs>> {
        await this.api().request<Formation[]>("PATCH", `/apps/${news.appId}/formation`, {
            body: { updates: updates(news.processes) },
        });
        return { outs: news };
    }

    async delete(id: string, props: FormationInputs): Promise<void> {
        // The dynos go with the app; scaling to zero first would only cause downtime during a replace.
    }
}
