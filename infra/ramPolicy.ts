// The fleet's RAM policy. PURE. Least privilege: the migration's own buckets only, and only the
// actions the runner uses. Deliberately absent: every Delete* (the tool never deletes data), any
// bucket-configuration write, and wildcards in actions or resources.

/**
 * PutObject also authorises InitiateMultipartUpload / UploadPart / CompleteMultipartUpload and
 * CopyObject's write side; GetObject also authorises HeadObject / GetObjectMeta.
 */
export const WORKER_OSS_ACTIONS = [
  'oss:GetObject',
  'oss:PutObject',
  'oss:ListObjects',
  'oss:GetBucketInfo',
  'oss:GetBucketLocation',
  'oss:ListParts',
  'oss:ListMultipartUploads',
  'oss:AbortMultipartUpload',
  'oss:GetBucketWebsite',
] as const;

export interface PolicyDocument {
  Version: '1';
  Statement: Array<{ Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string[] }>;
}

/** Bucket-level and object-level ARNs for each bucket. */
export function bucketResources(buckets: readonly string[]): string[] {
  return buckets.flatMap((b) => [`acs:oss:*:*:${b}`, `acs:oss:*:*:${b}/*`]);
}

export function workerPolicy(buckets: readonly string[]): PolicyDocument {
  if (buckets.length === 0) throw new Error('workerPolicy: at least one bucket is required');
  for (const b of buckets) {
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(b)) {
      throw new Error(`workerPolicy: "${b}" is not an OSS bucket name; refusing to write a policy for it`);
    }
  }
  return {
    Version: '1',
    Statement: [
      { Effect: 'Allow', Action: [...WORKER_OSS_ACTIONS], Resource: bucketResources([...new Set(buckets)]) },
    ],
  };
}

/** The JSON string for ram.Policy `policyDocument` (≤ 6144 bytes). */
export function workerPolicyDocument(buckets: readonly string[]): string {
  const json = JSON.stringify(workerPolicy(buckets));
  if (Buffer.byteLength(json) > 6144) throw new Error('workerPolicy: the policy exceeds 6144 bytes');
  return json;
}
