#!/usr/bin/env python3
"""Test vectors for docs/credential-scheme.md, computed independently of the TypeScript code.

Only the Python standard library (hashlib, hmac) is used; the canonical texts are spelled out
here by hand from the spec, not imported. X25519 is not in the standard library, so the claim
uses the key pairs and shared secret published in RFC 7748 section 6.1 (Alice = page, Bob = box).

    python3 appliance/src/credentials/test/make-vectors.py > appliance/src/credentials/test/vectors.ts

It prints a TypeScript module (JSON inside) so that the box's tests and the viewer page's tests
import the same vectors without a JSON loader.
"""
import base64
import hashlib
import hmac
import json


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mac(key: bytes, text: str) -> str:
    return b64u(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest())


def sha256hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    # RFC 5869 section 2: extract, then expand.
    prk = hmac.new(salt if salt else b"\0" * 32, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def request_text(method, base, path, link_id, n, key, body: bytes) -> str:
    return "\n".join(["sonobox/v1 request", method, base, path, link_id, str(n), key, sha256hex(body)])


def response_text(request_n, status, location, key, link, request_body: bytes, response_body: bytes) -> str:
    return "\n".join(["sonobox/v1 response", str(request_n), str(status), location, key, link, sha256hex(request_body), sha256hex(response_body)])


def event_text(request_n, seq, data) -> str:
    return "\n".join(["sonobox/v1 event", str(request_n), str(seq), data])


def authorization(link_id, n, key, m) -> str:
    return f"Sonobox-Proof id={link_id}, n={n}" + (f", key={key}" if key else "") + f", mac={m}"


token = bytes(range(32))
link_id = b64u(hmac.new(token, b"sonobox/v1 link-id", hashlib.sha256).digest())
claim_req = hkdf(token, b"", b"sonobox/v1 claim request-key")
claim_resp = hkdf(token, b"", b"sonobox/v1 claim response-key")

# RFC 7748 section 6.1.
page_secret = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
page_public = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
box_secret = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
box_public = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
shared = bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
dev_req = hkdf(shared, claim_req, b"sonobox/v1 device request-key" + page_public + box_public)
dev_resp = hkdf(shared, claim_req, b"sonobox/v1 device response-key" + page_public + box_public)

lan = "http://192.168.1.20:8080"
relay = "https://relay.example.org/b/cart-3"
offer1 = b"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD:EF\r\n"
answer1 = b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=sonobox\r\nt=0 0\r\n"
offer2 = b"v=0\r\no=- 4611731400430051336 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:Zq9x\r\n"
answer2 = b"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=sonobox\r\nt=0 0\r\n"
ice_link = '<turn:relay.example.org:443?transport=tcp>; rel="ice-server"; username="1700000000:box"; credential="c2VjcmV0"'


def request(name, keys, method, base, path, n, key, body):
    text = request_text(method, base, path, link_id, n, key or "", body)
    m = mac(keys, text)
    return {"name": name, "method": method, "base": base, "path": path, "n": n, "key": key, "body": body.decode(),
            "bodySha256": sha256hex(body), "canonical": text, "mac": m, "authorization": authorization(link_id, n, key, m)}


def response(keys, request_n, status, location, key, link, request_body, body):
    text = response_text(request_n, status, location, key, link, request_body, body)
    return {"status": status, "location": location, "key": key, "link": link, "body": body.decode(),
            "bodySha256": sha256hex(body), "canonical": text, "proof": mac(keys, text)}


exchanges = []
r = request("claim", claim_req, "POST", lan, "/whep", 1, b64u(page_public), offer1)
r["response"] = response(dev_resp, 1, 201, "/whep/r1AAAAAAAAAAAAAAAAAAAA", b64u(box_public), "", offer1, answer1)
exchanges.append(r)
r = request("resume through the relay", dev_req, "POST", relay, "/whep", 2, None, offer2)
r["response"] = response(dev_resp, 2, 201, "/whep/r2AAAAAAAAAAAAAAAAAAAA", "", ice_link, offer2, answer2)
exchanges.append(r)
r = request("events", dev_req, "GET", lan, "/whep/r2AAAAAAAAAAAAAAAAAAAA/events", 4, None, b"")
r["events"] = [{"seq": s, "data": d, "canonical": event_text(4, s, d), "proof": mac(dev_resp, event_text(4, s, d))}
               for s, d in [(0, '{"state":"live"}'), (1, '{"state":"ended"}')]]
exchanges.append(r)
r = request("leave", dev_req, "DELETE", lan, "/whep/r2AAAAAAAAAAAAAAAAAAAA", 3, None, b"")
r["response"] = response(dev_resp, 3, 200, "", "", "", b"", b"")
exchanges.append(r)

print("// Made by make-vectors.py in this folder (Python hashlib/hmac only; X25519 from RFC 7748 §6.1).\n// Do not edit by hand: change the script and run it again.")
print("export const vectors = " + json.dumps({
    "token": b64u(token),
    "linkId": link_id,
    "claimKeys": {"request": claim_req.hex(), "response": claim_resp.hex()},
    "pageSecret": page_secret.hex(), "pagePublic": b64u(page_public),
    "boxSecret": box_secret.hex(), "boxPublic": b64u(box_public),
    "sharedSecret": shared.hex(),
    "deviceKeys": {"request": dev_req.hex(), "response": dev_resp.hex()},
    "exchanges": exchanges,
}, indent=2) + " as const;")
