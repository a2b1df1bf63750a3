// The baseline for evaluation benchmarks: a Pulumi program that declares nothing.
import * as pulumi from "@pulumi/pulumi";

export const stack = pulumi.getStack();
