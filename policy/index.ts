import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./policies";

// `pulumi preview --policy-pack policy` (the preview workflow does this on every pull request).
new PolicyPack("actors", { policies: [...resourcePolicies, ...stackPolicies] });
