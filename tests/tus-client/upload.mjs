#!/usr/bin/env node
// A standard tus client against the Sealpost relay: tus-js-client's `Upload`, as any Node
// program would use it, with nothing but a bearer token in the `Authorization` header.
// tests/tus_client.rs drives it; it is also handy by hand:
//
//   SEALPOST_RELAY_TOKEN=$(sealpost relay-token | tail -n 1) \
//     node tests/tus-client/upload.mjs --relay http://127.0.0.1:8787 --file parcel.age --to ID
//
// Modes (--mode):
//   upload        upload the whole file (the default)
//   abort-first   upload the first chunk, then abort (as a closed laptop would): prints the
//                 upload URL and the offset reached, for `resume`
//   resume        resume --upload-url with the same file: HEAD for the offset, then PATCH the
//                 rest; prints the offset it resumed from
//   terminate     delete --upload-url (tus termination)
//
// Options: --relay URL (or SEALPOST_RELAY_URL), --token TOKEN (or SEALPOST_RELAY_TOKEN, better:
// a command line is visible to every user of the machine), --file PATH, --to ID[,ID…] (the
// `to` metadata: recipients' member ids, the only key the relay accepts), --chunk-size BYTES
// (default 1 MiB), --upload-url URL.
//
// On success: exactly one JSON line on stdout, exit code 0. On any failure: the error on
// stderr and exit code 1 (2 for a wrong command line).

import { createReadStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { Upload } from 'tus-js-client'

const MODES = ['upload', 'abort-first', 'resume', 'terminate']

function fail(message, code = 1) {
  process.stderr.write(`upload.mjs: error: ${message}\n`)
  process.exit(code)
}

// Writes the one result line, then exits (keep-alive sockets would otherwise hold the process).
function done(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0))
}

let args
try {
  args = parseArgs({
    options: {
      mode: { type: 'string', default: 'upload' },
      relay: { type: 'string', default: process.env.SEALPOST_RELAY_URL },
      token: { type: 'string', default: process.env.SEALPOST_RELAY_TOKEN },
      file: { type: 'string' },
      to: { type: 'string' },
      'chunk-size': { type: 'string', default: String(1024 * 1024) },
      'upload-url': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values
} catch (e) {
  fail(e.message, 2)
}

const mode = args.mode
if (!MODES.includes(mode)) fail(`--mode must be one of ${MODES.join(', ')}`, 2)
if (!args.token) fail('give --token or SEALPOST_RELAY_TOKEN (from `sealpost relay-token`)', 2)
const chunkSize = Number(args['chunk-size'])
if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) fail('--chunk-size must be a positive integer', 2)

// Options every request shares: the bearer token, and no automatic retries, so that any
// refusal by the relay surfaces here instead of being retried away.
const common = {
  headers: { Authorization: `Bearer ${args.token}` },
  retryDelays: null,
}

if (mode === 'terminate') {
  if (!args['upload-url']) fail('terminate needs --upload-url', 2)
  try {
    await Upload.terminate(args['upload-url'], common)
  } catch (e) {
    fail(e.message)
  }
  done({ mode, url: args['upload-url'] })
} else {
  if (!args.file) fail(`${mode} needs --file`, 2)
  const options = { ...common, chunkSize }
  if (mode === 'resume') {
    if (!args['upload-url']) fail('resume needs --upload-url', 2)
    // No `endpoint`: if the URL cannot be resumed, tus-js-client would otherwise quietly
    // create a new upload; without one it reports the failure instead.
    options.uploadUrl = args['upload-url']
  } else {
    if (!args.relay) fail('give --relay or SEALPOST_RELAY_URL', 2)
    if (!args.to) fail(`${mode} needs --to (comma-separated member ids)`, 2)
    options.endpoint = new URL('/v1/uploads', args.relay).href
    options.metadata = { to: args.to }
  }
  run(createReadStream(args.file), options)
}

function run(file, options) {
  let chunks = 0
  let resumedFrom = null
  const upload = new Upload(file, {
    ...options,
    // The HEAD that starts a resume says where the relay's copy stands.
    onAfterResponse(req, res) {
      if (req.getMethod() === 'HEAD' && res.getStatus() === 200) {
        resumedFrom = Number(res.getHeader('Upload-Offset'))
      }
    },
    onChunkComplete(_chunkSize, bytesAccepted, bytesTotal) {
      chunks += 1
      if (mode === 'abort-first' && bytesAccepted < bytesTotal) {
        // Stops before the next PATCH; the upload stays on the relay, resumable.
        upload.abort().then(
          () => done({ mode, url: upload.url, offset: bytesAccepted, size: bytesTotal }),
          (e) => fail(e.message),
        )
      }
    },
    onSuccess() {
      if (mode === 'abort-first') {
        fail('the whole file went in one chunk: give a smaller --chunk-size')
      }
      const result = { mode, url: upload.url, chunks }
      if (mode === 'resume') result.resumed_from = resumedFrom
      done(result)
    },
    onError(e) {
      fail(e.message)
    },
  })
  upload.start()
}
