// Run as a child process: opens connections that each send one GET, take the first bytes of the answer
// and then never read again — a client that stopped reading. Prints "ready <n>" once every connection has
// its first bytes, and "closed <n>" each time the server closes one; it keeps its sockets until killed.
// A separate process, so the test process's open descriptors are the server's alone.
//   node stalled-clients.ts <host> <port> <path> [<path> …]   (one connection per path)
import net from 'node:net';

const [host, portText, ...paths] = process.argv.slice(2);
const port = Number(portText);
let started = 0;
let closed = 0;
const sockets: net.Socket[] = [];
// Stays until killed, even once the server has closed every connection.
setInterval(() => {}, 60_000);

for (const path of paths) {
  const socket = net.connect(port, host!, () => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  });
  sockets.push(socket);
  socket.once('data', (chunk: Buffer) => {
    socket.pause();
    if (!chunk.toString('latin1').startsWith('HTTP/1.1 200')) {
      process.stdout.write(`unexpected ${JSON.stringify(chunk.subarray(0, 200).toString('latin1'))}\n`);
    }
    started++;
    if (started === paths.length) process.stdout.write(`ready ${started}\n`);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed++;
    process.stdout.write(`closed ${closed}\n`);
  });
}
