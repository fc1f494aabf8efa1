/**
 * Stands in for the box's remote-viewing listener at the box end of the tunnel (in the
 * clinic namespace), until the real one exists: it answers the routes the relay carries
 * with recognisable bytes, and shows what arrived (method, path, headers, body size).
 *   GET  /v                     the "viewer page"
 *   GET  /echo                  JSON of the request as received, and the peer address
 *   POST /whep                  201, Location: /whep/<resource id>, JSON with the body's size
 *   GET  /whep/<resource id>/events  SSE with X-Accel-Buffering: no (as the box's route sends)
 * On stdin, a line "tick" sends every open stream one more event, "end" ends them all.
 * Usage: node --import tsx stand-in-box.ts <port> <box id> <resource id>
 */
import { createServer, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';


const port = Number(process.argv[2] ?? 8081);
const boxId = process.argv[3] ?? 'box';
const resource = process.argv[4] ?? 'resource';
const streams = new Set<ServerResponse>();

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write('data: {"state":"live"}\n\n');
  streams.add(res);
  res.on('close', () => streams.delete(res));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://box').pathname;
    if (req.method === 'GET' && path === '/v') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><p>stand-in viewer page of box ${boxId}</p>\n`);
    } else if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, remote: req.socket.remoteAddress }));
    } else if (req.method === 'POST' && req.url === '/whep') {
      res.writeHead(201, { 'content-type': 'application/json', location: `/whep/${resource}` }).end(JSON.stringify({ received: body.length }));
    } else if (req.method === 'GET' && req.url === `/whep/${resource}/events`) {
      openStream(res);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
});

let ticks = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'tick') {
    ticks++;
    for (const s of streams) s.write(`data: {"tick":${ticks}}\n\n`);
  } else if (command === 'end') {
    for (const s of streams) s.end('data: {"state":"ended"}\n\n');
  }
});

server.listen(port, '127.0.0.1', () => console.log(`stand-in box ${boxId} listening on 127.0.0.1:${port}`));
