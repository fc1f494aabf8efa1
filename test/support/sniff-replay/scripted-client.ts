/**
 * The phone in the harness's self-test, run inside the phone's namespace: a scripted
 * viewer session through node:http (an HTTP client the harness did not write). One
 * keep-alive connection carries a claim-like POST, a chunked POST and a DELETE; a second
 * connection opens an event stream and drops it after the first event.
 */
import { Agent, request } from 'node:http';

const [host, port] = [process.argv[2]!, Number(process.argv[3])];
const offer = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD\r\n';
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

function send(method: string, path: string, headers: Record<string, string>, body: string[] | null, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers, agent }, (res) => {
      if (path.endsWith('/events')) {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
        return;
      }
      res.resume();
      res.once('end', resolve);
    });
    req.once('error', (err) => (path.endsWith('/events') ? resolve() : reject(err)));
    for (const part of body ?? []) req.write(part);
    req.end();
  });
}

const auth = { authorization: 'Sonobox-Proof id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, n=1, mac=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' };
await send('POST', '/whep', { ...auth, 'content-type': 'application/sdp', 'content-length': String(Buffer.byteLength(offer)) }, [offer], keepAlive);
await send('POST', '/whep', { ...auth, 'content-type': 'application/sdp' }, [offer.slice(0, 20), offer.slice(20)], keepAlive); // chunked
await send('GET', '/whep/r1/events', auth, null, new Agent({ keepAlive: false }));
await send('DELETE', '/whep/r1', auth, null, keepAlive);
keepAlive.destroy();
