export declare const ROLE_NODE_FLAGS: Record<string, string[]>;
export declare function nodeFlagsFor(role: string | undefined, nodeOptions?: string): string[];
