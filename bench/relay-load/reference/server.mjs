// The reference server of bench/relay-load: the tus project's own Node.js server
// (@tus/server) storing uploads on local disk (@tus/file-store), with nothing added, so the
// load generator's tus client measures the relay against a standard tus 1.0 implementation on
// the same machine in the same run. It serves `GET` of a finished upload (its download) and
// tus termination (`DELETE`). Note that FileStore does not fsync: an acknowledged PATCH may
// still be in the page cache only, where the relay's is on disk.
//
//   node server.mjs [PORT] [DIR]      (or RELAY_LOAD_PORT / RELAY_LOAD_DIR; defaults 1080, ./files)
//
// SIGINT or SIGTERM stops it with exit status 0, so /usr/bin/time still reports its peak RSS.
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const host = "127.0.0.1";
const port = Number(process.argv[2] ?? process.env.RELAY_LOAD_PORT ?? 1080);
const directory = process.argv[3] ?? process.env.RELAY_LOAD_DIR ?? "./files";

const server = new Server({
  path: "/files",
  datastore: new FileStore({ directory }),
});
const listener = server.listen({ host, port }, () => {
  console.error(`reference tus server listening on http://${host}:${port}/files, storing in ${directory}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    listener.close();
    process.exit(0);
  });
}
