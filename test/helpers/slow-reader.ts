// Run as a child process: one GET, read slowly — every fourth chunk a pause of `pauseMs` — until `wanted`
// bytes of the body came, then print "read <wanted> bytes"; or "cut off after <n> bytes" when the server
// closes first. A process of its own so its reading goes on whatever the test process (where the server
// runs) is busy with: a real slow client is elsewhere, and a shared event loop would stall both at once.
//   node slow-reader.ts <url> <wanted bytes> <pause ms>
import http from 'node:http';

const [url, wantedText, pauseText] = process.argv.slice(2);
const wanted = Number(wantedText);
const pauseMs = Number(pauseText);
let done = false;
const finish = (line: string) => {
  if (done) return;
  done = true;
  process.stdout.write(`${line}\n`);
  process.exit(0);
};

const request = http.get(url!, (response) => {
  let bytes = 0;
  let reads = 0;
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes >= wanted) {
      finish(`read ${wanted} bytes`);
    } else if (++reads % 4 === 0) {
      response.pause();
      setTimeout(() => response.resume(), pauseMs);
    }
  });
  response.on('aborted', () => finish(`cut off after ${bytes} bytes`));
  response.on('end', () => finish(`ended after ${bytes} bytes`));
});
request.on('error', (error) => finish(`failed: ${error.message}`));
