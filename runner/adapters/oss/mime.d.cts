/** mime v2's getType, as ali-oss calls it for a Content-Type (null when unknown). */
export declare function mimeType(pathOrExtension: string): string | null;
