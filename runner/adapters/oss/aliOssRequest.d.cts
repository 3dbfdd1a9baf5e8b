/** ali-oss's `createRequest`, called with the client as `this`. */
export declare function createRequest(
  this: unknown,
  params: Record<string, unknown>,
): { url: string; params: { method: string; headers: Record<string, string>; timeout: number } };
/** ali-oss's IPv4/IPv6 test for an endpoint's hostname. */
export declare function isIP(host: string): boolean;
/** ali-oss's region → endpoint URL (legacy url.parse result). */
export declare function setRegion(region: string, internal?: boolean, secure?: boolean): { host: string };
/** The `mime` (v2) module ali-oss guesses Content-Type with. */
export declare const mime: { getType(pathOrExtension: string): string | null };
