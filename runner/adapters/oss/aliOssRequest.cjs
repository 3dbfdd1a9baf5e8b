// ali-oss's request builder (headers, date, V1/V4 signature, URL), reached through CommonJS so
// TypeScript reads the declaration beside this file, not the untyped .ts ali-oss ships.
module.exports = require('ali-oss/lib/common/utils/createRequest.js');
