// Run as a child process by tcp-table.bench.ts: fills the machine's /proc/net/tcp with idle loopback
// connections. Listens on 127.0.0.1, opens <pairs> connections to itself (two sockets each, so one
// process stays under its descriptor limit), prints "ready <sockets>", and holds them until its stdin
// closes; then it resets them (no TIME_WAIT left behind in the table) and exits.
//   node socket-holder-child.ts <pairs>
import net from 'node:net';

const pairs = Number(process.argv[2]);
const BATCH = 500;
const sockets: net.Socket[] = [];
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  sockets.push(socket);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
const { port } = server.address() as net.AddressInfo;
for (let opened = 0; opened < pairs; opened += BATCH) {
  await Promise.all(
    Array.from(
      { length: Math.min(BATCH, pairs - opened) },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve());
          socket.on('error', reject);
          sockets.push(socket);
        }),
    ),
  );
}
while (sockets.length < 2 * pairs) await new Promise((resolve) => setTimeout(resolve, 10));
process.stdout.write(`ready ${sockets.length}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const socket of sockets) socket.resetAndDestroy();
  server.close();
  setTimeout(() => process.exit(0), 100);
});
