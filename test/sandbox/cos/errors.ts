/**
 * COS errors: the codes, HTTP statuses and messages the service answers with, and the XML body
 * (`<?xml version='1.0' encoding='utf-8' ?><Error><Code><Message><Resource><RequestId><TraceId>`).
 * Doc: https://intl.cloud.tencent.com/document/api/436/7730
 */

export class CosError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (Retry-After, Content-Range, …). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const e = (status: number, code: string, message: string) => new CosError(status, code, message);

/** Factories for every error the emulator produces, so codes and messages stay consistent. */
export const Err = {
  accessDenied: (message = 'Access Denied.') => e(403, 'AccessDenied', message),
  requestExpired: () => e(403, 'AccessDenied', 'Request has expired'),
  requestTimeTooSkewed: () =>
    e(
      403,
      'RequestTimeTooSkewed',
      "The difference between the request time and the server's time is too large.",
    ),
  invalidAccessKeyId: () =>
    e(403, 'InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.'),
  signatureDoesNotMatch: (detail?: string) =>
    e(403, 'SignatureDoesNotMatch', `The Signature you specified is invalid.${detail ? ` ${detail}` : ''}`),
  authorizationHeaderMalformed: (message: string) => e(400, 'AuthorizationHeaderMalformed', message),
  invalidObjectState: (message = "The operation is not valid for the object's storage class.") =>
    e(403, 'InvalidObjectState', message),
  noSuchBucket: () => e(404, 'NoSuchBucket', 'The specified bucket does not exist.'),
  noSuchKey: () => e(404, 'NoSuchKey', 'The specified key does not exist.'),
  noSuchUpload: () =>
    e(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    ),
  badDigest: () => e(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.'),
  invalidDigest: () => e(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.'),
  sha256Mismatch: () =>
    e(
      400,
      'XAmzContentSHA256Mismatch',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    ),
  invalidArgument: (message: string) => e(400, 'InvalidArgument', message),
  invalidRequest: (message: string) => e(400, 'InvalidRequest', message),
  invalidURI: () => e(400, 'InvalidURI', "Couldn't parse the specified URI."),
  keyTooLong: () => e(400, 'KeyTooLong', 'Your key is too long.'),
  malformedXML: () =>
    e(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    ),
  invalidStorageClass: () => e(400, 'InvalidStorageClass', 'The storage class you specified is not valid.'),
  invalidPart: () =>
    e(
      400,
      'InvalidPart',
      "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    ),
  invalidPartOrder: () =>
    e(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
    ),
  entityTooSmall: () =>
    e(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.'),
  entityTooLarge: () =>
    e(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'),
  incompleteBody: () =>
    e(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    ),
  missingContentLength: () =>
    e(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'),
  preconditionFailed: () =>
    e(412, 'PreconditionFailed', 'At least one of the preconditions you specified did not hold.'),
  invalidRange: (size: number) =>
    new CosError(416, 'InvalidRange', 'The requested range is not satisfiable', {
      'content-range': `bytes */${size}`,
    }),
  restoreAlreadyInProgress: () =>
    e(409, 'RestoreAlreadyInProgress', 'Object restore is already in progress.'),
  invalidBucketName: () => e(400, 'InvalidBucketName', 'The specified bucket is not valid.'),
  bucketAlreadyOwnedByYou: () =>
    e(409, 'BucketAlreadyOwnedByYou', 'The bucket you tried to create already exists, and you own it.'),
  methodNotAllowed: () =>
    e(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'),
  notImplemented: (what: string) =>
    e(501, 'NotImplemented', `${what} is not implemented by the COS sandbox emulator.`),
  internalError: () => e(500, 'InternalError', 'We encountered an internal error. Please try again.'),
  slowDown: () => e(503, 'SlowDown', 'Please reduce your request rate.'),
};

/** The default message for a code a fault rule names (so injected errors read like real ones). */
export function messageFor(code: string): string {
  const known: Record<string, string> = {
    InternalError: 'We encountered an internal error. Please try again.',
    ServiceUnavailable: 'Service is unable to handle request.',
    SlowDown: 'Please reduce your request rate.',
    AccessDenied: 'Access Denied.',
    NoSuchKey: 'The specified key does not exist.',
    NoSuchBucket: 'The specified bucket does not exist.',
    RequestTimeout:
      'Your socket connection to the server was not read from or written to within the timeout period.',
  };
  return known[code] ?? `Injected fault ${code}.`;
}

/** The usual code for an injected status when the rule names none. */
export function codeForStatus(status: number): string {
  const byStatus: Record<number, string> = {
    200: 'InternalError',
    400: 'InvalidArgument',
    403: 'AccessDenied',
    404: 'NoSuchKey',
    409: 'Conflict',
    412: 'PreconditionFailed',
    429: 'SlowDown',
    500: 'InternalError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return byStatus[status] ?? 'InternalError';
}
