"""The WHEP POST both Python viewers make (RFC 9725 §4.2): the offer as application/sdp with the
link token as a Bearer credential; returns (status, answer SDP or None).

Standard WHEP players use Bearer, and the box accepts it only where the operator allows it
(session.whepBearer: on plain HTTP only with --whep-bearer always, docs/credential-scheme.md §8);
the viewer page signs each request instead (Sonobox-Proof) and never sends the token."""
import urllib.error
import urllib.request


def post_offer(url, token, offer_sdp):
    request = urllib.request.Request(url, data=offer_sdp.encode(), method="POST", headers={
        "Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, None
