// ali-oss internals, reached through CommonJS so TypeScript reads the declaration beside this file,
// not the untyped .ts ali-oss ships. `mime` is resolved from ali-oss's own location: the very
// module its createRequest uses to guess a Content-Type.
const { createRequest } = require('ali-oss/lib/common/utils/createRequest.js');
const { isIP } = require('ali-oss/lib/common/utils/isIP.js');
const { setRegion } = require('ali-oss/lib/common/utils/setRegion.js');
const mime = require(require.resolve('mime', { paths: [require.resolve('ali-oss')] }));
module.exports = { createRequest, isIP, setRegion, mime };
