export declare const RUNTIME_FLAGS: string[];
