/** ali-oss's `createRequest`, called with the client as `this`. */
export declare function createRequest(
  this: unknown,
  params: Record<string, unknown>,
): { url: string; params: { method: string; headers: Record<string, string>; timeout: number } };
