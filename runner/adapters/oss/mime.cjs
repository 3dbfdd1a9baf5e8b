// The `mime` (v2) module ali-oss guesses a Content-Type with, resolved from ali-oss's own location
// (the very copy its createRequest uses), and required on the first guess only: a job whose keys
// carry no extension, or a listing, never loads its type table.
let mime;
function mimeType(ext) {
  mime ??= require(require.resolve('mime', { paths: [require.resolve('ali-oss')] }));
  return mime.getType(ext);
}
module.exports = { mimeType };
