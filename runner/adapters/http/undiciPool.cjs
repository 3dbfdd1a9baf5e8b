// undici's Pool and its request(), without the rest of undici (fetch, WebSocket, caches, mocks):
// its index costs ~13 MiB more resident memory, which a 1,000,000-object scan counts against its
// budget. undici has no "exports" map, so these paths are reachable; package.json pins undici to
// 8.12.x and the transport tests fail if they move.
const Pool = require('undici/lib/dispatcher/pool.js');
const request = require('undici/lib/api/api-request.js');
module.exports = { Pool, request };
