/**
 * OSS error responses (protocols.md §5.1): XML body with Code, Message, RequestId, HostId, EC and
 * per-code extras; `x-oss-request-id` / `x-oss-ec` headers; `x-oss-err` (base64 of the body) on
 * responses that cannot carry a body (HEAD), which is how ali-oss recovers the code there.
 *
 * ECs come from the spec where it gives one; the rest follow the service's numbering families
 * (0002 auth, 0003 access, 0015 bucket, 0016 object, 0026 object data, 0042 multipart, 0041
 * mirroring) and are best guesses: the project must never branch on an EC.
 */
import { toXml, type XmlNode } from '../common/xml.ts';

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly ec: string,
    /** Extra elements after HostId, in order (Key, BucketName, StringToSign, …). */
    readonly extra: ReadonlyArray<readonly [string, string]> = [],
    /** Extra response headers (Retry-After, …). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const e = (
  status: number,
  code: string,
  message: string,
  ec: string,
  extra: ReadonlyArray<readonly [string, string]> = [],
  headers: Record<string, string> = {},
) => new OssError(status, code, message, ec, extra, headers);

export const Err = {
  noSuchKey: (key: string) =>
    e(404, 'NoSuchKey', 'The specified key does not exist.', '0026-00000001', [['Key', key]]),
  noSuchBucket: (bucket: string) =>
    e(404, 'NoSuchBucket', 'The specified bucket does not exist.', '0015-00000101', [['BucketName', bucket]]),
  noSuchUpload: (uploadId: string) =>
    e(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      '0042-00000002',
      [['UploadId', uploadId]],
    ),
  noSuchWebsite: (bucket: string) =>
    e(
      404,
      'NoSuchWebsiteConfiguration',
      'The specified bucket does not have a website configuration.',
      '0044-00000001',
      [['BucketName', bucket]],
    ),
  wrongEndpoint: (endpoint: string, bucket: string) =>
    e(
      403,
      'AccessDenied',
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
      '0003-00001403',
      [
        ['Bucket', bucket],
        ['Endpoint', endpoint],
      ],
    ),
  anonymous: () =>
    e(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.', '0003-00000001'),
  accessDenied: (message: string, ec = '0002-00000001') => e(403, 'AccessDenied', message, ec),
  invalidAccessKeyId: (accessKeyId: string) =>
    e(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
      '0002-00000902',
      [['OSSAccessKeyId', accessKeyId]],
    ),
  signatureMismatch: (extra: ReadonlyArray<readonly [string, string]>, ec = '0002-00000040') =>
    e(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      ec,
      extra,
    ),
  skewed: (requestTime: string, serverTime: string) =>
    e(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      '0002-00000504',
      [
        ['MaxAllowedSkewMilliseconds', '900000'],
        ['RequestTime', requestTime],
        ['ServerTime', serverTime],
      ],
    ),
  invalidObjectName: (key: string, ec: string, reason: string) =>
    e(400, 'InvalidObjectName', `The specified object is not valid: ${reason}.`, ec, [['ObjectName', key]]),
  invalidBucketName: (bucket: string) =>
    e(400, 'InvalidBucketName', 'The specified bucket is not valid.', '0015-00000001', [
      ['BucketName', bucket],
    ]),
  bucketExists: (bucket: string) =>
    e(
      409,
      'BucketAlreadyExists',
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      '0015-00000104',
      [['BucketName', bucket]],
    ),
  invalidArgument: (message: string, name?: string, value?: string, ec = '0017-00000208') =>
    e(
      400,
      'InvalidArgument',
      message,
      ec,
      name === undefined
        ? []
        : [
            ['ArgumentName', name],
            ['ArgumentValue', value ?? ''],
          ],
    ),
  malformedXml: () =>
    e(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
      '0031-00000001',
    ),
  invalidDigest: (calculated: string, provided: string) =>
    e(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.', '0016-00000402', [
      ['CalculatedDigest', calculated],
      ['ProvidedDigest', provided],
    ]),
  sha256Mismatch: (calculated: string, provided: string) =>
    e(
      400,
      'InvalidDigest',
      'The provided content-sha256 does not match what was computed.',
      '0002-00000046',
      [
        ['ClientComputedContentSHA256', provided],
        ['S3ComputedContentSHA256', calculated],
      ],
    ),
  missingContentLength: () =>
    e(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.', '0016-00000401'),
  entityTooLarge: (limit: number) =>
    e(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', '0016-00000403', [
      ['MaxSizeAllowed', String(limit)],
    ]),
  incompleteBody: () =>
    e(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      '0016-00000410',
    ),
  fileAlreadyExists: (ec = '0026-00000002') =>
    e(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', ec),
  invalidObjectState: () =>
    e(403, 'InvalidObjectState', "The operation is not valid for the object's state", '0016-00000404'),
  restoreInProgress: () =>
    e(409, 'RestoreAlreadyInProgress', 'The restore operation is in progress.', '0016-00000701'),
  restoreNotSupported: () =>
    e(400, 'OperationNotSupported', 'The operation is not supported for this resource', '0016-00000702'),
  preconditionFailed: (condition: string) =>
    e(
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold.',
      '0026-00000004',
      [['Condition', condition]],
    ),
  invalidRange: (size: number) =>
    e(416, 'InvalidRange', 'The requested range cannot be satisfied', '0016-00000301', [
      ['ActualObjectSize', String(size)],
    ]),
  invalidPart: (partNumber: number, etag: string) =>
    e(
      400,
      'InvalidPart',
      "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
      '0042-00000003',
      [
        ['PartNumber', String(partNumber)],
        ['ETag', etag],
      ],
    ),
  invalidPartOrder: () =>
    e(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. Parts list must specified in order by part number.',
      '0042-00000004',
    ),
  entityTooSmall: (partNumber: number, size: number) =>
    e(400, 'EntityTooSmall', 'Your proposed upload smaller than the minimum allowed size.', '0042-00000005', [
      ['MinSizeAllowed', String(100 * 1024)],
      ['ProposedSize', String(size)],
      ['PartNumber', String(partNumber)],
    ]),
  notImplemented: (what: string) =>
    e(501, 'NotImplemented', `${what} is not implemented by the sandbox OSS emulator.`, '0017-00000101'),
  methodNotAllowed: () =>
    e(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', '0017-00000001'),
  internal: () =>
    e(500, 'InternalError', 'We encountered an internal error. Please try again.', '0000-00000001'),
  mirrorFailed: (message: string, ec: string) => e(424, 'MirrorFailed', message, ec),
};

/** Throttling codes: QpsLimitExceeded is 429, the others 503 (OSS has no SlowDown). */
const THROTTLE_MESSAGES: Record<string, string> = {
  QpsLimitExceeded: 'Please reduce your request rate.',
  ServiceUnavailable: 'Please reduce your request rate.',
  TotalQpsLimitExceeded: 'Total Qps limit exceeded, please reduce your request rate.',
  DownloadTrafficRateLimitExceeded: 'Download traffic rate limit exceeded, please reduce your request rate.',
  UploadTrafficRateLimitExceeded: 'Upload traffic rate limit exceeded, please reduce your request rate.',
  ActiveRequestLimitExceeded: 'Active request limit exceeded, please reduce your request rate.',
  MetaOperationQpsLimitExceeded: 'Meta operation qps limit exceeded, please reduce your request rate.',
};

export function throttleError(
  code = 'ServiceUnavailable',
  status?: number,
  retryAfterSeconds?: number,
): OssError {
  return new OssError(
    status ?? (code === 'QpsLimitExceeded' ? 429 : 503),
    code,
    THROTTLE_MESSAGES[code] ?? 'Please reduce your request rate.',
    code === 'QpsLimitExceeded' ? '0004-00000302' : '0004-00000301',
    [],
    retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {},
  );
}

/** The error body as OSS sends it. */
export function errorXml(err: OssError, requestId: string, hostId: string): string {
  const body: XmlNode = { Code: err.code, Message: err.message, RequestId: requestId, HostId: hostId };
  for (const [k, v] of err.extra) body[k] = v;
  body.EC = err.ec;
  body.RecommendDoc = `https://api.aliyun.com/troubleshoot?q=${err.ec}`;
  return toXml({ Error: body });
}

/** Space-separated upper-case hex bytes of the UTF-8 string (the service's StringToSignBytes). */
export function hexBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
