/**
 * A stand-in for the box in the harness's self-test, run inside the box's namespace: a raw
 * TCP server that records every byte each connection sends, and answers each complete
 * request (http-framing.ts) with 200 and the SHA-256 of that request's exact bytes; a GET
 * of …/events gets a streamed answer that stays open, as the box's event stream does.
 * Prints "listening" once ready; when its stdin closes, prints what it recorded and exits.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { messageLength, requestLine } from './http-framing.js';

const [address, port] = [process.argv[2]!, Number(process.argv[3])];
const recorded: Array<{ remoteAddress: string; bytes: Buffer }> = [];

const server = createServer((socket) => {
  const entry = { remoteAddress: socket.remoteAddress ?? '', bytes: Buffer.alloc(0) };
  recorded.push(entry);
  let unanswered = 0; // offset of the first byte not yet answered
  socket.on('data', (c: Buffer) => {
    entry.bytes = Buffer.concat([entry.bytes, c]);
    for (let length = messageLength(entry.bytes, unanswered); length !== null; length = messageLength(entry.bytes, unanswered)) {
      const raw = entry.bytes.subarray(unanswered, unanswered + length);
      unanswered += length;
      const digest = createHash('sha256').update(raw).digest('hex');
      if (requestLine(raw).target.endsWith('/events')) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Sha256: ${digest}\r\nTransfer-Encoding: chunked\r\n\r\n11\r\ndata: {"state":1}\n\r\n`);
      } else {
        socket.write(`HTTP/1.1 200 OK\r\nX-Request-Sha256: ${digest}\r\nContent-Length: 2\r\n\r\nok`);
      }
    }
  });
  socket.on('error', () => {});
});
server.listen(port, address, () => process.stdout.write('listening\n'));
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify(recorded.map((r) => ({ remoteAddress: r.remoteAddress, bytes: r.bytes.toString('base64') })))}\n`);
  process.exit(0);
});
