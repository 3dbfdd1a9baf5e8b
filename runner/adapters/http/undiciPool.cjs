// undici's Pool and its request(), without the rest of undici (fetch, WebSocket, caches, mocks):
// its index costs ~13 MiB more resident memory, which a 1,000,000-object scan counts against its
// budget. undici has no "exports" map, so these paths are public; the transport tests pin them.
const Pool = require('undici/lib/dispatcher/pool.js');
const request = require('undici/lib/api/api-request.js');
module.exports = { Pool, request };
