/** Labels and annotations of what the app runs. Leaf module: the policy pack imports it too. */

/** Labels of everything the app runs; NetworkPolicies select app pods (web and migration) by `name`. */
const APP_NAME = "actors";

export function appLabels(component: "web" | "migrate"): Record<string, string> {
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": APP_NAME,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

export const APP_SELECTOR = { "app.kubernetes.io/name": APP_NAME };

/** Selects the web pods (Deployment, Service, autoscaling and disruption budgets, NetworkPolicy, ServiceMonitor). */
export const WEB_SELECTOR = { ...APP_SELECTOR, "app.kubernetes.io/component": "web" };

/** Set on the Service when actors:serviceType asks for NodePort or LoadBalancer; the policy pack requires it there. */
export const EXPOSURE_ANNOTATION = "actors.dev/requested-service-type";
